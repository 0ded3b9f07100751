"""Webhook targets: only public addresses, resolved and checked; the allow-list for test receivers."""

from __future__ import annotations

import pytest

from interop.webhooks.targets import TargetRefused, resolve_target


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.5/hooks", "10.0.0.5 is a private"),
        ("https://192.168.1.20/hooks", "192.168.1.20 is a private"),
        ("https://172.16.4.4/hooks", "172.16.4.4 is a private"),
        ("https://127.0.0.1/hooks", "127.0.0.1 is a private, loopback"),
        ("https://localhost:8443/hooks", "127.0.0.1 is a private, loopback"),
        ("https://2130706433/hooks", "127.0.0.1 is a private, loopback"),  # 127.0.0.1 written as one number
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private, loopback, link-local"),
        ("https://[::1]/hooks", "::1 is a private"),
        ("https://[fe80::1]/hooks", "fe80::1 is a private"),
        ("https://[::ffff:10.0.0.1]/hooks", "::ffff:a00:1 is a private"),
        ("https://100.64.0.9/hooks", "100.64.0.9 is a private"),  # carrier-grade NAT
        ("https://0.0.0.0/hooks", "0.0.0.0 is a private"),
        ("https://224.0.0.251/hooks", "224.0.0.251 is a private"),
        ("http://93.184.215.14/hooks", "must start with https://: webhooks leave the clinic over TLS only"),
        ("ftp://93.184.215.14/hooks", "must start with https://"),
        ("https://user:secret@93.184.215.14/hooks", "must not carry a user name or password"),
        ("https://no-such-host.invalid/hooks", "cannot be resolved"),
        ("https:///hooks", "names no host"),
    ],
)
def test_urls_that_do_not_lead_to_a_public_https_address_are_refused(url, reason, settings):
    # given no allow-list
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    # when the URL is checked, then it is refused, saying why
    with pytest.raises(TargetRefused) as refused:
        resolve_target(url)
    assert reason in str(refused.value)


def test_a_public_address_is_accepted_and_pinned():
    # when a public https URL is checked
    target = resolve_target("https://93.184.215.14:8443/kat/hooks?clinic=1")

    # then it names the address the delivery will connect to
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "93.184.215.14",
        8443,
        "/kat/hooks?clinic=1",
        "93.184.215.14",
    )


def test_the_allow_list_lets_a_test_receiver_on_loopback_be_reached_over_http(settings):
    # given loopback allow-listed
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    # when a loopback http URL is checked, then it is accepted
    assert resolve_target("http://127.0.0.1:8055/hooks").address == "127.0.0.1"
    # and the rest of the private ranges stay refused
    with pytest.raises(TargetRefused, match="10.1.2.3 is a private"):
        resolve_target("https://10.1.2.3/hooks")


def test_an_unresolvable_host_is_a_passing_failure_and_a_private_one_is_not(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(TargetRefused) as unresolved:
        resolve_target("https://no-such-host.invalid/hooks")
    with pytest.raises(TargetRefused) as private:
        resolve_target("https://10.0.0.1/hooks")
    assert (unresolved.value.transient, private.value.transient) == (True, False)
