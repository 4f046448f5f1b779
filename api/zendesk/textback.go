package zendesk

import (
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/api/edit"
)

// Zendesk's textback action texts the caller. ivrd sends no SMS: the
// route is stored as a webhook destination whose event carries the text,
// the sending number's id and the caller's number, and the system behind
// the webhook sends it. Answers say so in ivrd_note.
const (
	textbackEvent = "zendesk.textback"
	textbackNote  = "ivrd sends no SMS: pressing this key posts a zendesk.textback webhook event (data.data: sms_message, " +
		"phone_number_id, caller) to the configured webhooks, and the menu plays again; the receiver sends the SMS"
)

// textbackDestination turns textback's options into the webhook
// destination.
func textbackDestination(o optionsIn) (*edit.Destination, error) {
	text := o.SMSText
	if text == nil {
		text = o.SMSMessage
	}
	if text == nil || strings.TrimSpace(*text) == "" {
		return nil, refuse("action textback needs options.sms_text (the SMS's text)")
	}
	if len(*text) > 1600 {
		return nil, refuse("options.sms_text: at most 1600 characters")
	}
	data := map[string]string{"sms_message": *text, "caller": "${caller}"}
	if o.TextbackPhoneNumberID != nil {
		if *o.TextbackPhoneNumberID <= 0 {
			return nil, refuse("options.textback_phone_number_id %d: want a positive integer", *o.TextbackPhoneNumberID)
		}
		data["phone_number_id"] = strconv.FormatInt(*o.TextbackPhoneNumberID, 10)
	}
	// "": every configured webhook (validate warns when there is none).
	return &edit.Destination{Webhook: edit.Str(""), Event: textbackEvent, Data: data}, nil
}

// textbackRoute shows a textback webhook as Zendesk's textback action;
// false for any other webhook destination.
func textbackRoute(rt *Route, d *edit.Destination) bool {
	if d.Event != textbackEvent || d.Data == nil || d.Then != nil || d.Target() != "" || len(d.Extra) > 0 {
		return false
	}
	o := Options{SMSText: d.Data["sms_message"]}
	if n, err := strconv.ParseInt(d.Data["phone_number_id"], 10, 64); err == nil {
		o.TextbackPhoneNumberID = n
	}
	rt.Action, rt.Options, rt.OptionText, rt.IvrdNote = action("textback"), o, o.SMSText, textbackNote
	return true
}
