"""The 940 phone line on Twilio Voice.

A call is a chain of webhooks: Twilio posts the caller's keys or words to the action URL of
the TwiML we answered before. Each answer names the next step in its URLs (`?s=N`), so a
retry of the same step is recognised (`voice:{CallSid}:{step}`) and answered the same way.

- `params`: the Twilio form fields we use, validated.
- `texts`: what the line itself says, and how numbers are read digit by digit.
- `prompt`: the dialogue's messages as a prompt (menu, digits, recording, speech), and
  what the caller's keys or words mean against it.
- `twiml`: pure functions from prompts to TwiML.
- `state`: the call as the store keeps it between webhooks.
- `call`: one step of a call; `voicemail`: messages left when no one else can help.
- `router`: the four webhooks.
"""
