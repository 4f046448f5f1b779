package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Zendesk's textback action texts the caller. ivrd sends no SMS: the
// route is stored as a webhook destination whose event carries the text,
// the sending number's id and the caller's number, and the system behind
// the webhook sends it. Responses say so in ivrd_note.
const (
	zdTextbackEvent = "zendesk.textback"
	zdTextbackNote  = "ivrd sends no SMS: pressing this key posts a zendesk.textback webhook event (data.data: sms_message, " +
		"phone_number_id, caller) to the configured webhooks, and the menu plays again; the receiver sends the SMS"
)

// textbackDestination turns textback's options into the webhook
// destination. sms_text is the seed's name for the text;
// textback_sms_message is taken too (some clients send it).
func textbackDestination(raw json.RawMessage) (any, error) {
	var opts struct {
		SMSText       *string     `json:"sms_text"`
		SMSMessage    *string     `json:"textback_sms_message"`
		PhoneNumberID json.Number `json:"textback_phone_number_id"`
	}
	if len(bytes.TrimSpace(raw)) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&opts); err != nil {
			return nil, fmt.Errorf("options: %v", err)
		}
	}
	text := opts.SMSText
	if text == nil {
		text = opts.SMSMessage
	}
	if text == nil || strings.TrimSpace(*text) == "" {
		return nil, errors.New("action textback needs options.sms_text (the SMS's text)")
	}
	if len(*text) > 1600 {
		return nil, errors.New("options.sms_text: at most 1600 characters")
	}
	data := map[string]any{"sms_message": *text, "caller": "${caller}"}
	if opts.PhoneNumberID != "" {
		n, err := strconv.ParseInt(string(opts.PhoneNumberID), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("options.textback_phone_number_id %s: want a positive integer", opts.PhoneNumberID)
		}
		data["phone_number_id"] = strconv.FormatInt(n, 10)
	}
	// "": every configured webhook (validate warns when there is none).
	return map[string]any{"webhook": "", "event": zdTextbackEvent, "data": data}, nil
}

// textbackRoute shows a textback webhook as Zendesk's textback action;
// false for any other webhook destination.
func textbackRoute(rt, d map[string]any) bool {
	data, _ := d["data"].(map[string]any)
	if str(d, "event") != zdTextbackEvent || data == nil {
		return false
	}
	opts := map[string]any{"sms_text": str(data, "sms_message")}
	if n, err := strconv.ParseInt(str(data, "phone_number_id"), 10, 64); err == nil {
		opts["textback_phone_number_id"] = n
	}
	rt["action"], rt["options"], rt["option_text"] = "textback", opts, str(data, "sms_message")
	rt["ivrd_note"] = zdTextbackNote
	return true
}
