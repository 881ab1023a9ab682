"""Rotating the key that encrypts marketplace credentials: OMS_ENCRYPTION_KEYS="new,old", reencrypt, drop old."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from channels.models import Channel
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_credentials_move_to_the_new_key_so_the_old_one_can_go(settings, capsys):
    settings.OMS_ENCRYPTION_KEYS = [OLD]
    ChannelFactory(name="rakuten", credentials={"license_key": "SL-secret"})
    settings.OMS_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("reencrypt_credentials")

    settings.OMS_ENCRYPTION_KEYS = [NEW]
    assert Channel.objects.get(name="rakuten").credentials == {"license_key": "SL-secret"}
    assert "1 channel(s)" in capsys.readouterr().out


def test_reencrypting_without_the_old_key_says_to_put_it_back(settings):
    settings.OMS_ENCRYPTION_KEYS = [OLD]
    ChannelFactory(name="rakuten", credentials={"license_key": "SL-secret"})
    settings.OMS_ENCRYPTION_KEYS = [NEW]

    with pytest.raises(CommandError, match="put the old key back"):
        call_command("reencrypt_credentials")
