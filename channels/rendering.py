"""Rendering rules every channel shares: menus as numbered lists, replies back to buttons,
long texts split at the platform's limit.

Buttons are the menus of every channel: the phone says "press N", WhatsApp/SMS show a
numbered list, Telegram and the web show buttons. Whatever form the choice comes back in
(a key, "2", "٢", the option's own words) becomes that button's payload.
"""

from collections.abc import Sequence

from bot.arabic import normalise
from bot.digits import to_ascii_digits
from channels.dialogue import BotMessage, Button


def numbered_options(buttons: Sequence[Button]) -> str:
    """`1. title` lines; the number is what the user types or presses back."""
    return "\n".join(f"{index}. {button.title}" for index, button in enumerate(buttons, 1))


def as_plain_text(messages: Sequence[BotMessage]) -> str:
    """Bot messages for a text-only channel (SMS, WhatsApp): each message's words, its
    options as a numbered list, an image as its link; messages apart by a blank line."""
    blocks = []
    for message in messages:
        lines = [message.text.strip()] if message.text.strip() else []
        if message.buttons:
            lines.append(numbered_options(message.buttons))
        if message.image:
            lines.append(message.image)
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def chosen_payload(reply: str, buttons: Sequence[Button]) -> str | None:
    """The payload of the button a reply names: by its number (any digits) or its title."""
    answer = to_ascii_digits(reply).strip().rstrip(".)")
    if answer.isdigit() and 1 <= int(answer) <= len(buttons):
        return buttons[int(answer) - 1].payload
    wanted = normalise(reply)
    for button in buttons:
        if normalise(button.title) == wanted:
            return button.payload
    return None


def split_message(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
