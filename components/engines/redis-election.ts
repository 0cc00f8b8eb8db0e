import { ELECTION_WAIT_SECONDS, REDIS_PORT, SENTINEL_PORT } from "./redis-flavor";

/**
 * Who is master when every pod starts at once (a first start, a password rotation, `destroy` and
 * `up` on retained volumes). Ordinal 0 is not the answer: after a failover it holds older data
 * than the member promoted, and its volume may be new and empty.
 *
 * Facts, read from the members themselves: each Sentinel's saved view (the master it follows and
 * the config epoch of that view; a promotion raises the epoch, and the Sentinels keep it on the
 * data volume), and each data node's key count once it has loaded its files (it starts as a
 * replica of nobody with `replica-priority 0`, so no Sentinel can promote it meanwhile).
 *
 * Rule, computed alike by every member from the same facts; only the winner acts:
 * 1. the member the Sentinels name at the highest epoch, if it holds data, or nobody holds any;
 * 2. otherwise (that member lost its volume) the member holding the most keys, lowest ordinal on
 *    a tie; the winner then points every Sentinel at itself, since theirs names an empty member.
 * Every member waits for all members to answer, or for a majority after ELECTION_WAIT_SECONDS
 * (a node is lost); a member without data never wins while a member with data answers.
 *
 * Shell functions only; the start scripts include them (POSIX sh, awk, sed, grep, timeout).
 */

/** `highest_claim` (the master the peers' Sentinels name at the highest epoch) and `find_live_master`. */
export function renderFindLiveMaster(): string[] {
    return [
        `sentinel_claim() {`,
        `  cli "$1" ${SENTINEL_PORT} SENTINEL master "$MASTER_NAME" | awk 'NR % 2 == 1 { k = $0; next } k == "ip" { ip = $0 } k == "config-epoch" { e = $0 } END { if (ip != "" && e != "") print ip, e }'`,
        `}`,
        `highest_claim() {`,
        `  best=""; top=-1`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    c=$(sentinel_claim "$h"); [ -n "$c" ] || continue`,
        `    e=\${c#* }; if [ "$e" -gt "$top" ]; then top=$e; best=\${c%% *}; fi`,
        `  done`,
        `  [ -n "$best" ] && echo "$best"`,
        `}`,
        `is_master() { cli "$1" ${REDIS_PORT} INFO replication | grep -q '^role:master'; }`,
        // A serving master: the Sentinels' choice if it says so, else any peer that says so.
        `find_live_master() {`,
        `  m=$(highest_claim) && [ "$m" != "$SELF" ] && is_master "$m" && { echo "$m"; return 0; }`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    is_master "$h" && { echo "$h"; return 0; }`,
        `  done`,
        `  return 1`,
        `}`,
    ];
}

/**
 * `guard`: runs next to the data node for its whole life, every 2 s.
 * - A replica whose link is up has been in sync with a master in this life: it becomes
 *   promotable (`replica-priority 100`). Every member starts at 0, so Sentinel never promotes a
 *   member that restarted and has not caught up (an empty volume, a node that was away).
 * - A replica that follows nobody, or a host that is no serving master, follows the serving
 *   master if there is one (a replica Sentinel is moving is left alone).
 * - No serving master anywhere: the election above. At once when every member answers and none
 *   is promotable (Sentinel cannot act: a cold start); otherwise after ELECTION_WAIT_SECONDS
 *   without a master, which leaves Sentinel its own failover first.
 */
export function renderGuardian(sentinelOptions: string[]): string[] {
    return [
        // Keys of a data node that has loaded its files; nothing when it does not answer or is loading.
        `member_keys() {`,
        `  i=$(cli "$1" ${REDIS_PORT} INFO)`,
        `  echo "$i" | grep -q '^loading:0' || return 1`,
        `  p=$(echo "$i" | sed -n 's/^slave_priority://p')`,
        `  echo "$i" | awk -F '[:=,]' -v p="\${p:-100}" '/^db[0-9]+:keys=/ { s += $3 } END { print s + 0, p }'`,
        `}`,
        `follow() {`,
        `  cli "$LOCAL" ${REDIS_PORT} REPLICAOF "$1" ${REDIS_PORT} >/dev/null`,
        `  echo "broker-platform: replica of $1"`,
        `}`,
        `point_sentinel_here() {`,
        `  cli "$1" ${SENTINEL_PORT} SENTINEL REMOVE "$MASTER_NAME" >/dev/null`,
        `  cli "$1" ${SENTINEL_PORT} SENTINEL MONITOR "$MASTER_NAME" "$SELF" ${REDIS_PORT} "$QUORUM" >/dev/null`,
        ...sentinelOptions.map((o) => `  cli "$1" ${SENTINEL_PORT} SENTINEL SET ${o} >/dev/null`),
        // The password through standard input, never on a command line.
        `  printf 'SENTINEL SET %s auth-pass %s\n' "$MASTER_NAME" "$PASS" | timeout 3 "$CLI" --no-auth-warning -h "$1" -p ${SENTINEL_PORT} >/dev/null 2>&1`,
        `}`,
        `point_sentinels_here() { for h in $HOSTS; do point_sentinel_here "$h"; done; }`,
        // A master's check of the Sentinels: one that names a host which is no serving master
        // (it missed the election's update, or it restarted from older state) three checks in a
        // row is pointed here; one naming another serving master is left alone (Sentinel's own).
        `check_sentinels() {`,
        `  for h in $HOSTS; do`,
        `    c=$(sentinel_claim "$h"); [ -n "$c" ] || continue`,
        `    named=\${c%% *}; key=$(echo "$h" | tr -c 'a-zA-Z0-9\\n' _)`,
        `    if [ "$named" = "$SELF" ] || is_master "$named"; then eval "strikes_$key=0"; continue; fi`,
        `    eval "n=\\\${strikes_$key:-0}"; n=$((n + 1)); eval "strikes_$key=$n"`,
        `    if [ "$n" -ge 3 ]; then point_sentinel_here "$h"; eval "strikes_$key=0"; echo "broker-platform: pointed the Sentinel on $h here (it named $named)"; fi`,
        `  done`,
        `}`,
        `promote() {`,
        `  cli "$LOCAL" ${REDIS_PORT} CONFIG SET replica-priority 100 >/dev/null`,
        `  cli "$LOCAL" ${REDIS_PORT} REPLICAOF NO ONE >/dev/null`,
        `  echo "broker-platform: elected master ($1)"`,
        `  [ "$2" = "$SELF" ] || point_sentinels_here`,
        `}`,
        // One round of the election; $1 = seconds without a serving master.
        `elect_once() {`,
        `  n=0; for h in $HOSTS; do n=$((n + 1)); done`,
        `  answered=""; count=0; top=-1; claim=""; most=0; holder=""; promotable=0`,
        `  for h in $HOSTS; do`,
        `    facts=$(member_keys "$h") || continue`,
        `    c=$(sentinel_claim "$h"); [ -n "$c" ] || continue`,
        `    keys=\${facts% *}; [ "\${facts#* }" = 0 ] || promotable=$((promotable + 1))`,
        `    answered="$answered $h"; count=$((count + 1))`,
        `    e=\${c#* }; if [ "$e" -gt "$top" ]; then top=$e; claim=\${c%% *}; fi`,
        `    if [ "$keys" -gt "$most" ]; then most=$keys; holder=$h; fi`,
        `    eval "keys_of_$count=$keys"; eval "host_of_$count=$h"`,
        `  done`,
        `  if [ "$count" -lt "$n" ] || [ "$promotable" -gt 0 ]; then`,
        `    [ "$count" -ge $((n / 2 + 1)) ] && [ "$1" -ge ${ELECTION_WAIT_SECONDS} ] || return 1`,
        `  fi`,
        `  claim_keys=-1; j=1`,
        `  while [ "$j" -le "$count" ]; do`,
        `    eval "h=\\$host_of_$j; k=\\$keys_of_$j"`,
        `    [ "$h" = "$claim" ] && claim_keys=$k`,
        `    j=$((j + 1))`,
        `  done`,
        `  if [ "$claim_keys" -gt 0 ] || { [ "$most" -eq 0 ] && [ "$claim_keys" -eq 0 ]; }; then winner=$claim`,
        `  elif [ -n "$holder" ]; then winner=$holder`,
        `  else winner=\${answered# }; winner=\${winner%% *}`,
        `  fi`,
        `  [ "$winner" = "$SELF" ] || return 1`,
        // Last look: a member may have been elected, or promoted by Sentinel, meanwhile.
        `  find_live_master >/dev/null && return 1`,
        `  promote "keys: $most, sentinels' epoch $top naming $claim" "$claim"`,
        `}`,
        `guard() {`,
        `  set +eu`,
        `  since=""`,
        `  while sleep 2; do`,
        `    i=$(cli "$LOCAL" ${REDIS_PORT} INFO replication)`,
        `    [ -n "$i" ] || continue`,
        `    case "$i" in *role:master*) since=""; check_sentinels; continue ;; esac`,
        `    if echo "$i" | grep -q '^master_link_status:up'; then`,
        `      if echo "$i" | grep -q '^slave_priority:0'; then cli "$LOCAL" ${REDIS_PORT} CONFIG SET replica-priority 100 >/dev/null; echo "broker-platform: in sync, promotable"; fi`,
        `      since=""; continue`,
        `    fi`,
        // Re-point only a member that follows nobody (its own cold start) or a host that is no
        // serving master; a replica Sentinel is moving to a new master is left to Sentinel.
        `    cur=$(echo "$i" | sed -n 's/^master_host://p')`,
        `    if [ "$cur" != "127.0.0.1" ] && is_master "$cur"; then since=""; continue; fi`,
        `    if m=$(find_live_master); then`,
        `      [ "$cur" = "$m" ] || follow "$m"`,
        `      since=""; continue`,
        `    fi`,
        `    now=$(date +%s); [ -n "$since" ] || since=$now`,
        `    elect_once $((now - since))`,
        `  done`,
        `}`,
    ];
}
