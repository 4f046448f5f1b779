# Debian's Kamailio with deploy/kamailio/kamailio.cfg, for compose.yaml
# (the package the cluster test runs). Build from the repository's root:
#   docker build -f deploy/container/kamailio.Dockerfile -t ivrd-kamailio .
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kamailio \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/kamailio/kamailio.cfg /etc/kamailio/kamailio.cfg
# Kamailio drops to this user after binding.
USER kamailio
# -DD: stay in the foreground (the container's process), -E: log to
# stderr (docker logs). LISTEN_ADDR and DISPATCHER_LIST come from the
# command (compose.yaml).
ENTRYPOINT ["kamailio", "-DD", "-E", "-f", "/etc/kamailio/kamailio.cfg", "-Y", "/tmp", "-P", "/tmp/kamailio.pid"]
