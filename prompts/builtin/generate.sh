#!/usr/bin/env bash
# Regenerates the bundled prompts: English speech from espeak-ng, converted
# by sox to 8 kHz mono µ-law WAV (8 KB per second). Needs espeak-ng and sox.
set -euo pipefail
cd "$(dirname "$0")"
say() {
  local name=$1; shift
  espeak-ng -v en-us -s 150 -w "/tmp/ivrd-$name.wav" "$*"
  sox "/tmp/ivrd-$name.wav" -r 8000 -c 1 -e u-law -b 8 "$name.wav" norm -3
  rm -f "/tmp/ivrd-$name.wav"
}
say welcome "Welcome to I V R D, the example menu."
say main-choices "For sales, press 1. For support, press 2. To hear this menu again, press 7. To end the call, press the pound key."
say support-choices "Support. For technical support press 1. For billing press 2. To go back press 8. For the main menu press 9."
say invalid "Sorry, that is not a valid choice."
say goodbye "Thank you for calling. Goodbye."
say timeout "We did not receive your choice."
say closed "We are closed now. Please call again during office hours."
say holiday "We are closed for the holiday."
say opening-hours "We are open Monday to Friday, nine to five."
say transferring "Please hold while we transfer your call."
say voicemail-default "Please leave a message after the tone. Press pound when you are done."
# Voicemail checking (call/vmcheck.go) and the number fragments its
# sentences are built from (call/vmsay.go).
say vm-login "Please enter your mailbox number, followed by pound."
say vm-password "Please enter your password, followed by pound."
say vm-incorrect "Login incorrect."
say vm-locked "This mailbox is locked. Please try again later."
say vm-youhave "You have"
say vm-no "no"
say vm-new "new"
say vm-old "old"
say vm-and "and"
say vm-message "message."
say vm-messages "messages."
say vm-instructions "To listen to your messages, press 1. For mailbox options, press 0. To exit, press pound."
say vm-msgnum "Message"
say vm-from "from"
say vm-unknown-caller "an unknown caller"
say vm-received "received at"
say vm-oh "oh"
say vm-oclock "o'clock"
say vm-length "length"
say vm-seconds "seconds."
say vm-msg-options "To repeat this message, press 5. For the next message, press 6. For the previous message, press 4. To delete it, press 7. To save it, press 9. For the main menu, press pound."
say vm-first "This is the first message."
say vm-nomore "There are no more messages."
say vm-deleted "Message deleted."
say vm-saved "Message saved."
say vm-options "To record your greeting, press 1. For the main menu, press star."
say vm-record-greeting "Record your greeting after the tone. Press pound when you are done."
say vm-greeting-saved "Your greeting has been saved."
numbers=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty)
for i in "${!numbers[@]}"; do say "num-$i" "${numbers[$i]}"; done
for t in 30:thirty 40:forty 50:fifty 60:sixty 70:seventy 80:eighty 90:ninety; do say "num-${t%%:*}" "${t#*:}"; done
say num-hundred "hundred"
# Conference rooms (call/conference.go).
say conf-pin "Please enter the conference PIN, followed by pound."
say conf-moderator-pin-or-pound "If you are the moderator, enter your PIN followed by pound. Otherwise, press pound."
say conf-invalid-pin "That PIN is not valid."
say conf-full "Sorry, this conference is full."
say conf-wait-moderator "Please wait. The conference will begin when the moderator joins."
say conf-ended "The conference has ended. Goodbye."
say conf-only-person "You are the only person in this conference."
say conf-one-other "There is one other participant in this conference."
say conf-there-are "There are"
say conf-other-participants "other participants in this conference."
# Queue agents' feature code (call/agentcode.go).
say agent-loggedin "Agent logged in."
say agent-loggedoff "Agent logged off."
say agent-refused "Sorry, that feature code is not available from this phone."
# A queue's estimated wait (call/queuewait.go), said after the position.
say queue-wait "Your estimated wait time is"
say queue-less-than-a-minute "less than one minute."
say queue-minute "minute."
say queue-minutes "minutes."
# Recording a prompt by phone (call/promptcall.go).
say rec-intro "Record your message after the tone. Press pound when you are done."
say rec-empty "Nothing was recorded."
say rec-review "To keep this recording, press 1. To record it again, press 2. To cancel, press star."
say rec-saved "Your recording has been saved. Goodbye."
say rec-cancelled "Nothing was saved. Goodbye."
