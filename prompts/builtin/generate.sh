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
