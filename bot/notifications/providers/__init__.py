"""One module per way a message leaves the service; `registry` picks one per channel."""
