"""How services name who did something, in ledgers and audit events: `user:<name>`, `system`, `channel:<name>`."""

SYSTEM = "system"


def user_actor(user) -> str:
    return f"user:{user.get_username()}" if user is not None and user.is_authenticated else SYSTEM


def channel_actor(channel) -> str:
    return f"channel:{channel.name}"
