"""The one way a Redis client is made from `redis_url`, and what it raises while Redis
is away.

For redis://, rediss:// and unix:// it is redis-py's client of that server. For
redis+sentinel:// (sentinel_url.py) it is redis-py's client of the master the
sentinels name: each new connection asks them which server is master, so that
once they have promoted a replica, whoever reconnects (the subscriber, the
publisher) reaches the new master. Connections to the old one fail, or are
closed by the sentinels when they demote it (CLIENT KILL), and the client turns
a ReadOnlyError from a demoted master into a ConnectionError; while no sentinel
names a healthy master it raises MasterNotFoundError, a ConnectionError too.
"""

import logging

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from .sentinel_url import SentinelAddress, is_sentinel_url, sentinel_address

log = logging.getLogger("yascheduler.redis")

# Redis away, or its master being replaced: the caller retries later.
REDIS_AWAY = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, OSError)
# A sentinel that does not answer within this is skipped for the next one.
SENTINEL_TIMEOUT = 1.0


def redis_client(url: str, **options) -> redis.Redis:
    """A client for `url`; `options` are redis-py's connection options."""
    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **options)
    address = sentinel_address(url)
    sentinels = WatchedSentinel(address)
    return sentinels.master_for(
        address.service,
        redis_class=SentinelMasterClient,
        db=address.db,
        username=address.username,
        password=address.password,
        **options,
    )


class WatchedSentinel(Sentinel):
    """redis-py's Sentinel, saying once each time the sentinels name another master."""

    def __init__(self, address: SentinelAddress):
        super().__init__(
            [],
            sentinel_kwargs={
                "username": address.sentinel_username,
                "password": address.sentinel_password,
                "socket_connect_timeout": SENTINEL_TIMEOUT,
                "socket_timeout": SENTINEL_TIMEOUT,
                # redis-py retries 10 times by default: a dead sentinel would hold up
                # the search for seconds instead of passing it to the next sentinel
                "retry": Retry(NoBackoff(), 0),
            },
        )
        self.sentinels = [
            SentinelNode(host, port, **self.sentinel_kwargs) for host, port in address.sentinels
        ]
        self.master_named: tuple[str, int] | None = None

    def discover_master(self, service_name):
        master = super().discover_master(service_name)
        if master != self.master_named:
            log.info("redis master of %s: %s:%s (named by the sentinels)", service_name, *master)
            self.master_named = master
        return master


class SentinelNode(redis.Redis):
    """A client of one sentinel, named short in the errors that list those unanswered."""

    def __repr__(self) -> str:
        options = self.connection_pool.connection_kwargs
        return f"sentinel {options['host']}:{options['port']}"


class SentinelMasterClient(redis.Redis):
    """The master's client; closing it closes the connections to the sentinels too."""

    def close(self) -> None:
        super().close()
        self.connection_pool.sentinel_manager.close()
