package nodetest

// Configurations and texts more than one package's tests use.

// LanguageCallConfig has an English menu (100) whose key 9 switches the
// call to Spanish, and a Spanish one (101).
// The default set speaks in tones 440 (welcome) and 1000 (menu); the
// Spanish set, prompts/es/, in 700 and 300: what a caller hears tells
// which set played.
const LanguageCallConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: main-choices
    response_timeout: 3s
    keys:
      "9": { set_language: es }
      "#": hangup
  - id: main-es
    extensions: ["101"]
    language: es
    greeting: welcome
    prompt: main-choices
    response_timeout: 3s
    keys:
      "#": hangup
`

// SayConfig greets with a spoken prompt, then (no key) ends the call.
const SayConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
prompts:
  - name: hello
    say: "SAY_TEXT"
ivrs:
  - id: main
    extensions: ["100"]
    greeting: hello
    response_timeout: 1s
    prompt_repeat: 1
    keys:
      "#": hangup
`

// SayText is what SayConfig's spoken greeting says.
const SayText = "Thank you for calling the spoken prompt test. Please hold."
