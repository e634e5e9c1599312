"""The chat channels' limits and conversation tokens, without a running Rasa (bot/channels.py,
bot/sessions.py): a client's address counts across sender ids, and a token is this server's or nothing."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage

from bot import channels
from bot.sessions import conversation_of, new_conversation_id, token_for


@pytest.fixture
def limits(monkeypatch):
    """The channel's settings as the environment says in each test (they are read once per process)."""

    def set_limits(per_sender: int, per_client: int) -> None:
        monkeypatch.setenv("CLINIC_CHAT_LIMIT_PER_MINUTE", str(per_sender))
        monkeypatch.setenv("CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE", str(per_client))
        for cached in (channels.channel_settings, channels.chat_limit, channels.client_limit):
            cached.cache_clear()

    yield set_limits
    for cached in (channels.channel_settings, channels.chat_limit, channels.client_limit):
        cached.cache_clear()


def send(sender: str, address: str) -> tuple:
    """One message through `take` from `address`; (whether Rasa got it, what the patient read)."""
    taken = []

    async def rasa(message: UserMessage) -> None:
        taken.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "an answer"})

    async def run() -> list:
        channels.client_address.set(address)
        replies: list = []
        await channels.take(UserMessage("does it hurt?", channels.WholeReplyCollector(replies), sender), rasa)
        return [reply["text"] for reply in replies]

    topics = asyncio.run(run())
    return bool(taken), topics


def test_new_sender_ids_from_one_address_do_not_get_round_the_limit(limits):
    limits(per_sender=30, per_client=3)
    results = [send(f"made-up-{n}", "203.0.113.7") for n in range(4)]
    assert [taken for taken, _ in results] == [True, True, True, False]
    assert "faster than I can read" in results[-1][1][0]  # told to slow down (with 911 for an emergency)
    assert send("someone-else", "198.51.100.2")[0] is True  # another address is not held up


def test_one_sender_is_limited_whatever_its_address(limits):
    limits(per_sender=2, per_client=0)
    assert [send("one-sender", f"203.0.113.{n}")[0] for n in range(3)] == [True, True, False]


@pytest.mark.parametrize(
    "peer, forwarded, trusted, address",
    [
        ("203.0.113.7", None, (), "203.0.113.7"),
        ("203.0.113.7", "10.0.0.1", (), "203.0.113.7"),  # anyone can write the header: not believed
        ("127.0.0.1", "10.0.0.1, 198.51.100.2", ("127.0.0.1",), "198.51.100.2"),  # the proxy's own entry
        ("127.0.0.1", None, ("127.0.0.1",), "127.0.0.1"),
    ],
)
def test_the_clients_address_is_the_peers_unless_a_trusted_proxy_forwarded_it(
    peer, forwarded, trusted, address
):
    assert channels.address_of(peer, forwarded, trusted) == address


def test_a_conversation_token_opens_its_conversation_and_nothing_else():
    key, conversation = "k" * 40, new_conversation_id()
    token = token_for(key, conversation)
    assert conversation_of(key, token) == conversation
    assert conversation_of("another key " * 4, token) is None
    assert conversation_of(key, conversation) is None  # the id alone, as staff see it
    assert conversation_of(key, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert conversation_of(key, None) is None and conversation_of(key, "x" * 1000) is None
