"""The baseline: the least a Python process can do to answer streamers.

SUBSCRIBE `yascheduler`, decode each message, PUBLISH the reply to
`yastream.<streamer>`: `test` echoes its info, `user_authentication`
echoes the credentials as an anonymous user. redis-py, no gevent.
"""

import sys

import redis
import ujson


def main(url: str) -> None:
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("yascheduler")
    for item in pubsub.listen():
        message = ujson.loads(item["data"])
        kind = message.get("type")
        if kind == "test":
            reply = {"type": "test", "info": message["info"]}
        elif kind == "user_authentication":
            reply = {"type": "user_authentication", "user_id": None, "hd": False}
            for name in ("auth_token", "username", "api_key"):
                if name in message:
                    reply[name] = message[name]
        else:
            continue
        client.publish("yastream." + message["streamer"], ujson.dumps(reply, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
