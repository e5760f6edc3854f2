"""The 940 phone line on Twilio Voice.

A call is a chain of webhooks: Twilio posts the caller's keys or words to the action URL of
the TwiML we answered before. Each answer names the next step in its URLs (`?s=N`), so a
retry of the same step is recognised (`voice:{CallSid}:{step}`) and answered the same way.

What the line says itself is in the catalogues (locales/, context `voice`, keys `call.*`);
voicemails become complaints in the core (`bot.voicemails`).

- `line`: the line as the core knows it (its channel code, name and medium).
- `params`: the Twilio form fields we use, validated.
- `speech`: how text is made fit to be heard (numbers digit by digit, no links).
- `prompt`: the dialogue's messages as a prompt (menu, digits, recording, speech), and
  what the caller's keys or words mean against it.
- `twiml`: pure functions from prompts to TwiML.
- `state`: the call as the store keeps it between webhooks.
- `call`: one step of a call; `fallback`: the answer when the service itself fails.
- `followup`: recordings and voicemails the worker finishes later.
- `urls`: the addresses Twilio is given.
- `router`: the webhooks (a call's steps, its status, recordings, the fallback, announcement
  audio) and `PhoneLine`, the line's entry in channels/registry.py.
"""
