"""The phone simulator: try the 940 line from a browser, no Twilio account needed."""
