# The real-node tier's client: connects with a stack's connection URL (environment BROKER_URL)
# the way an application would, and prints one JSON line of what the broker answered.
#   amqp N            publish N persistent messages to a quorum queue with publisher confirms,
#                     then consume them back and acknowledge them
#   redis-sentinel N  ask the URL's Sentinels for the master, SET N keys on it, GET them back
#   k8s-get 0         GET the API path BROKER_URL with the pod's ServiceAccount token, as peer
#                     discovery does; prints the HTTP status the API server answered
#   amqp-publish N    publish persistent messages "<N>:<i>" to the quorum queue "day2" with
#                     publisher confirms, one every 50 ms, reconnecting after any failure, until
#                     the file /tmp/stop exists; prints the ids the broker confirmed (as ranges)
#                     and, each second, how many it had confirmed so far
#   amqp-drain 0      consume and acknowledge everything in "day2"; prints the ids received
#   redis-write N     ask the URL's Sentinels for the master and SET "w:<N>:<i>" on it, each
#                     followed by WAIT 1 (acknowledged = at least one replica has it), one every
#                     50 ms, asking again after any error, until /tmp/stop exists; prints the ids
#                     acknowledged (as ranges), and every role change it saw on the members
#                     (INFO replication of each Sentinel host, polled every 200 ms)
#   http-get 0        GET BROKER_URL (credentials in it, basic auth); prints the HTTP status
import json
import os
import sys
from urllib.parse import unquote, urlsplit

mode, count = sys.argv[1], int(sys.argv[2])


def ranges(ids):
    """Inclusive [first, last] runs of the ids, as the tests read them."""
    out = []
    for i in sorted(set(ids)):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


url = os.environ["BROKER_URL"]

if mode == "amqp":
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    queue = "e2e-client"
    channel.queue_declare(queue=queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_purge(queue)
    for i in range(count):
        channel.basic_publish("", queue, f"message {i}".encode(), pika.BasicProperties(delivery_mode=2), mandatory=True)
    consumed = []
    while True:
        method, _, body = channel.basic_get(queue)
        if method is None:
            break
        consumed.append(body.decode())
        channel.basic_ack(method.delivery_tag)
    channel.queue_delete(queue)
    connection.close()
    print(json.dumps({"published": count, "consumed": len(consumed), "inOrder": consumed == [f"message {i}" for i in range(count)]}))
elif mode == "redis-sentinel":
    from redis.sentinel import Sentinel

    # redis-sentinel://:<password>@<host>:<port>,<host>:<port>/<db>#<master>
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    password = unquote(credentials.split(":", 1)[1]) if credentials else None
    sentinels = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in hosts.split(",")]
    db = int(parts.path.strip("/") or 0)
    sentinel = Sentinel(sentinels, socket_timeout=5, sentinel_kwargs={"password": password})
    master = sentinel.master_for(parts.fragment, password=password, db=db, socket_timeout=5)
    host, port = sentinel.discover_master(parts.fragment)
    for i in range(count):
        master.set(f"e2e-client:{i}", i)
    got = sum(1 for i in range(count) if master.get(f"e2e-client:{i}") == str(i).encode())
    print(json.dumps({"master": host, "set": count, "got": got}))
elif mode == "redis-write":
    import threading
    import time

    import redis
    from redis.sentinel import Sentinel

    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    password = unquote(credentials.split(":", 1)[1]) if credentials else None
    sentinels = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in hosts.split(",")]
    sentinel = Sentinel(sentinels, socket_timeout=2, sentinel_kwargs={"password": password, "socket_connect_timeout": 2})
    roles, done = [], threading.Event()

    def watch():
        last = {}
        clients = {h: redis.Redis(host=h, port=6379, password=password, socket_timeout=1, socket_connect_timeout=1) for h, _ in sentinels}
        while not done.is_set():
            for h, c in clients.items():
                try:
                    role = c.info("replication")["role"]
                except Exception:
                    role = "down"
                if last.get(h) != role:
                    last[h] = role
                    roles.append([round(time.time(), 2), h, role])
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    acked, attempts, failures, i, master, timeline, last_error = [], 0, 0, 0, None, [], None
    while not os.path.exists("/tmp/stop"):
        now = int(time.time())
        if not timeline or timeline[-1][0] != now:
            timeline.append([now, len(acked)])
        try:
            if master is None:
                host, port = sentinel.discover_master(parts.fragment)
                master = redis.Redis(host=host, port=port, password=password, socket_timeout=3, socket_connect_timeout=2)
            attempts += 1
            master.set(f"w:{count}:{i}", i)
            if master.execute_command("WAIT", 1, 2000) >= 1:
                acked.append(i)
            else:
                failures += 1
                last_error = "WAIT 1: no replica acknowledged"
        except Exception as e:
            # Not acknowledged: the server may or may not hold it; only acknowledged ids count.
            failures += 1
            last_error = f"{type(e).__name__}: {e}"
            master = None
            time.sleep(0.5)
        i += 1
        time.sleep(0.05)
    done.set()

    print(json.dumps({"run": count, "attempts": attempts, "failures": failures, "acked": ranges(acked), "timeline": timeline, "roles": roles, "error": last_error}))
elif mode == "k8s-get":
    import ssl
    import urllib.error
    import urllib.request

    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    token = open(f"{sa}/token").read().strip()
    context = ssl.create_default_context(cafile=f"{sa}/ca.crt")
    request = urllib.request.Request(f"https://kubernetes.default.svc.cluster.local{url}", headers={"Authorization": f"Bearer {token}"})
    try:
        status = urllib.request.urlopen(request, context=context, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    print(json.dumps({"status": status}))
elif mode in ("amqp-publish", "amqp-drain"):
    import time

    import pika

    def channel_of():
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        channel.queue_declare(queue="day2", durable=True, arguments={"x-queue-type": "quorum"})
        return connection, channel

    if mode == "amqp-publish":
        confirmed, attempts, failures, i, channel, timeline = [], 0, 0, 0, None, []
        while not os.path.exists("/tmp/stop"):
            now = int(time.time())
            if not timeline or timeline[-1][0] != now:
                timeline.append([now, len(confirmed)])
            try:
                if channel is None:
                    connection, channel = channel_of()
                    channel.confirm_delivery()
                attempts += 1
                channel.basic_publish("", "day2", f"{count}:{i}".encode(), pika.BasicProperties(delivery_mode=2), mandatory=True)
                confirmed.append(i)
            except Exception:
                # Not confirmed: the broker may or may not hold it; only confirmed ids are counted.
                failures += 1
                channel = None
                time.sleep(1)
            i += 1
            time.sleep(0.05)
        print(json.dumps({"run": count, "attempts": attempts, "failures": failures, "confirmed": ranges(confirmed), "timeline": timeline}))
    else:
        connection, channel = channel_of()
        received = {}
        while True:
            method, _, body = channel.basic_get("day2")
            if method is None:
                break
            run, _, i = body.decode().partition(":")
            received.setdefault(run, []).append(int(i))
            channel.basic_ack(method.delivery_tag)
        connection.close()
        print(json.dumps({"received": {run: ranges(ids) for run, ids in received.items()}, "count": sum(len(v) for v in received.values())}))
elif mode == "http-get":
    import base64
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    plain = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()
    auth = base64.b64encode(f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()).decode()
    request = urllib.request.Request(plain, headers={"Authorization": f"Basic {auth}"})
    try:
        status = urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    print(json.dumps({"status": status}))
else:
    sys.exit(f"unknown mode {mode}")
