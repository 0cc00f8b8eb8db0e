# The real-node tier's client: connects with a stack's connection URL (environment BROKER_URL)
# the way an application would, and prints one JSON line of what the broker answered.
#   amqp N            publish N persistent messages to a quorum queue with publisher confirms,
#                     then consume them back and acknowledge them
#   redis-sentinel N  ask the URL's Sentinels for the master, SET N keys on it, GET them back
#   k8s-get 0         GET the API path BROKER_URL with the pod's ServiceAccount token, as peer
#                     discovery does; prints the HTTP status the API server answered
import json
import os
import sys
from urllib.parse import unquote, urlsplit

mode, count = sys.argv[1], int(sys.argv[2])
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
else:
    sys.exit(f"unknown mode {mode}")
