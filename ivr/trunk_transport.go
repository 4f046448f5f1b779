package ivr

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// SIPTLS (ivrd addition) is server.sip.tls: the certificate and key of
// tls:// listeners, PEM files read at start and again on SIGHUP.
type SIPTLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// TrunkTLS (ivrd addition) is a trunk's tls: how ivrd checks the
// certificate of the trunk's server when it connects to it over TLS (a
// sips: URI or ;transport=tls). Unset: against the system's CAs and the
// URI's host.
type TrunkTLS struct {
	// CAFile trusts only the CA certificates in this PEM file for the
	// trunk (a private CA, or the trunk's own certificate: pinning).
	CAFile string `yaml:"ca_file"`
	// ServerName is the name the certificate must carry when it is not
	// the URI's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any certificate: for a lab only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// TrunkRegistration (ivrd addition) is a trunk's register: true, or its
// registration settings: ivrd REGISTERs with the trunk so that the trunk
// delivers calls to it.
type TrunkRegistration struct {
	// Enabled is set by register: true or any block.
	Enabled bool `yaml:"-"`
	// Registrar is the URI REGISTER goes to; default the trunk's uri.
	Registrar string `yaml:"registrar"`
	// Username and Password default to the trunk's.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Expires is the interval asked for [600s].
	Expires Duration `yaml:"expires"`
	// ContactUser is the user part of the contact registered [username]:
	// calls to it are this trunk's.
	ContactUser string `yaml:"contact_user"`
	// Transport is udp, tcp or tls; default the registrar URI's.
	Transport string `yaml:"transport"`
}

// UnmarshalYAML reads true/false or a block of settings.
func (r *TrunkRegistration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var on bool
		if err := n.Decode(&on); err != nil {
			return typeErr("line %d: register: want true, false or a block of settings (registrar, username, password, expires, contact_user, transport), not %q", n.Line, n.Value)
		}
		*r = TrunkRegistration{Enabled: on}
		return nil
	}
	type plain TrunkRegistration
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = TrunkRegistration(p)
	r.Enabled = true
	return nil
}

// DefaultRegistrationExpires is the interval asked for when expires is
// not set.
const DefaultRegistrationExpires = 600 * time.Second

// Registration is the trunk's registration with its defaults filled in
// from the trunk, and whether it registers at all.
func (t *Trunk) Registration() (TrunkRegistration, bool) {
	r := t.Register
	if t.RegistrationBlock.Enabled {
		r = t.RegistrationBlock
	}
	if !r.Enabled {
		return TrunkRegistration{}, false
	}
	if r.Registrar == "" {
		r.Registrar = t.URI
	}
	if r.Username == "" {
		r.Username = t.Username
	}
	if r.Password == "" {
		r.Password = t.Password
	}
	if r.Expires == 0 {
		r.Expires = Duration(DefaultRegistrationExpires)
	}
	if r.ContactUser == "" {
		r.ContactUser = r.Username
	}
	return r, true
}

// Limits of a registration's interval.
const (
	minRegistrationExpires = 30 * time.Second
	maxRegistrationExpires = 24 * time.Hour
)

// registration checks a trunk's register/registration settings; it
// returns the contact user registered ("" for none).
func (v *validator) registration(path string, t Trunk) string {
	if t.Register.Enabled && t.RegistrationBlock.Enabled {
		v.errf(path, "register and registration both set: use one")
		return ""
	}
	key := path + ".register"
	if t.RegistrationBlock.Enabled {
		key = path + ".registration"
	}
	r, on := t.Registration()
	if !on {
		return ""
	}
	if !strings.HasPrefix(r.Registrar, "sip:") && !strings.HasPrefix(r.Registrar, "sips:") {
		v.errf(key+".registrar", "%q: want a sip: or sips: URI of the registrar", r.Registrar)
	} else if why := sipURIProblem(r.Registrar); why != "" {
		v.errf(key+".registrar", "bad SIP URI %q: %s", r.Registrar, why)
	}
	if r.Username == "" {
		v.errf(key+".username", "a registration needs a username (here or the trunk's)")
	}
	if d := r.Expires.D(); d < minRegistrationExpires || d > maxRegistrationExpires {
		v.errf(key+".expires", "%s: want between %s and %s", d, minRegistrationExpires, maxRegistrationExpires)
	}
	if r.ContactUser != "" && !sipUserToken(r.ContactUser) {
		v.errf(key+".contact_user", "%q: want letters, digits and - _ . ! ~ * ' ( ) + only", r.ContactUser)
	}
	switch strings.ToLower(r.Transport) {
	case "", "udp", "tcp", "tls":
	default:
		v.errf(key+".transport", "%q: want udp, tcp or tls", r.Transport)
	}
	if r.Password == "" {
		v.warnf(key+".password", "no password: a registrar that challenges will refuse the registration")
	}
	return r.ContactUser
}

// sipUserToken: characters a contact's user part may carry unescaped and
// that need no quoting anywhere.
func sipUserToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()+", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// trunkTLS checks a trunk's tls settings.
func (v *validator) trunkTLS(path string, t Trunk) {
	if t.TLS.InsecureSkipVerify && (t.TLS.CAFile != "" || t.TLS.ServerName != "") {
		v.errf(path+".tls", "insecure_skip_verify checks nothing: ca_file and server_name would be ignored")
	}
	if t.TLS.InsecureSkipVerify {
		v.warnf(path+".tls.insecure_skip_verify", "the trunk's certificate is not checked: for a lab only")
	}
}

// sipTLS checks tls:// listeners have their certificate.
func (v *validator) sipTLS(s SIPServer) {
	hasTLS := false
	for _, l := range s.Listen {
		if u, err := url.Parse(l); err == nil && (u.Scheme == "tls" || u.Scheme == "wss") {
			hasTLS = true
		}
	}
	if hasTLS && (s.TLS.Cert == "" || s.TLS.Key == "") {
		v.errf("server.sip.tls", "a tls:// or wss:// listener needs cert and key (PEM files)")
	}
	if !hasTLS && (s.TLS.Cert != "" || s.TLS.Key != "") {
		v.warnf("server.sip.tls", "cert and key are set but no listener is tls:// or wss://")
	}
	if (s.TLS.Cert == "") != (s.TLS.Key == "") {
		v.errf("server.sip.tls", "cert and key go together")
	}
}

// describeRegistration is a one-line summary for logs (no password).
func (r TrunkRegistration) String() string {
	return fmt.Sprintf("%s as %s (contact %s, every %s)", r.Registrar, r.Username, r.ContactUser, r.Expires.D())
}
