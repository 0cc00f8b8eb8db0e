"""The broker platform from Python: the stack file's settings, passed as they are."""
import pulumi
import pulumi_broker_platform as broker_platform

config = pulumi.Config()

# The same keys and shapes as the TypeScript program's stack config (namespace, storage,
# clusters); the component validates them and names the key of any bad value.
brokers = broker_platform.BrokerPlatform(
    "brokers",
    namespace=config.require("namespace"),
    storage=config.require_object("storage"),
    clusters=config.require_object("clusters"),
)

pulumi.export("namespace", brokers.namespace)
pulumi.export("clusters", brokers.clusters)
# Secret: cluster name -> a URL that connects, with credentials.
pulumi.export("connectionUrls", brokers.connection_urls)
