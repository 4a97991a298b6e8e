# bench/lib.sh: what bench/run and bench/scale share (sourced, not run): free ports, generated
# article sets, importing them with whichever `article import` this build has, wrk runs read
# into figures, and a process's CPU time and memory from /proc.
#
# The CPU figures: wrk runs on the same cores as the server, so requests/s says as much about
# wrk as about the server. The server's own CPU time (utime + stime of every thread, from
# /proc/PID/stat) over a run, divided by the requests served in it, does not depend on how the
# cores were shared: it is the cost of one request.

# A free TCP port on the loopback address.
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_wait_http URL: waits up to 10 s for URL to answer 2xx; returns 1 if it never did.
bench_wait_http() {
  local _
  for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

# bench_cpu_ticks PID...: the CPU time (user + system, clock ticks) the processes have used.
bench_cpu_ticks() {
  local pid stat total=0 fields
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # The command name (field 2) may hold spaces: split after its closing parenthesis, where
    # utime and stime are the 12th and 13th fields.
    read -ra fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

# bench_cpu_us TICKS REQUESTS: CPU microseconds per request ("-" without requests).
bench_cpu_us() {
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else printf "-" }'
}

# bench_rss_mib PID [FIELD]: VmRSS (or FIELD, e.g. VmHWM for the peak) in MiB.
bench_rss_mib() {
  awk -v f="${2:-VmRSS}:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -
}

# bench_wrk OUTFILE WRK_ARGS...: runs wrk with --latency and WRK_ARGS, keeps its output in
# OUTFILE, and prints "requests_per_second p99 requests errors", where errors counts socket
# errors and responses that were not 2xx or 3xx.
bench_wrk() {
  local out=$1
  shift
  wrk --latency "$@" >"$out" 2>&1 || { echo "bench: wrk failed:" >&2; cat "$out" >&2; return 1; }
  bench_wrk_figures "$out"
}

# bench_wrk_figures OUTFILE: the figures bench_wrk prints, from a wrk output kept in OUTFILE.
bench_wrk_figures() {
  awk '/^Requests\/sec/ {rps = $2}
       $1 == "99%" {p99 = $2}
       / requests in / {n = $1}
       /Non-2xx or 3xx responses:/ {e += $NF}
       /Socket errors:/ {for (i = 3; i <= NF; i += 2) e += $(i + 1) + 0}
       END {printf "%s %s %s %d\n", rps, p99, n, e}' "$1"
}

# bench_article_set N: the directory of a generated set of N free articles under build/bench/
# (bench/gen-articles, seed 1), generated unless a complete one is there. Every set with the
# same seed starts with the same articles, so the first 10,000 of the 100,000 set are the
# 10,000 set. Progress goes to standard error.
bench_article_set() {
  local n=$1 dir="build/bench/articles-$1" start
  if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$n 1 free a" ]; then
    echo "bench: generating $n articles into $dir (once; reused after)..." >&2
    start=$SECONDS
    rm -rf "$dir"
    bench/gen-articles "$n" "$dir" --seed 1 --access free
    echo "bench: generated $n articles in $((SECONDS - start)) s" >&2
  fi
  echo "$dir"
}

# 1 when this build's `article import` takes directories (and --files-from); 0 when it takes
# only file paths, in one transaction, so bench_import gives it batches of files instead.
bench_import_takes_dirs() {
  # (the help is read whole first: grep -q would stop reading, and under pipefail the writer's
  # SIGPIPE would fail the test)
  local help
  help=$(build/broadsheet help 2>&1)
  [[ $help == *--files-from* ]] && echo 1 || echo 0
}

# bench_import DB DIR: imports every *.md under DIR into DB, with the streaming import
# (`article import DIR`) when this build has it, else 1,000 file paths per command (each its own
# transaction; today's import holds one whole command's files in memory). Prints the peak
# memory of the import (the largest over the commands) in MiB, or "-" without /usr/bin/time;
# returns 1 (the import's own message on standard error) when an import failed.
bench_import() {
  local db=$1 dir=$2 peak=- timefile errfile status=0
  timefile=$(mktemp)
  errfile=$(mktemp)
  local timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -a -o "$timefile" -f %M)
  # Standard error is kept aside (a progress line would break the benchmark's table) and shown
  # only if the import failed.
  if [ "$(bench_import_takes_dirs)" = 1 ]; then
    # In batches of 10,000, as an operator imports a big archive: one transaction of 1,000,000
    # articles spills SQLite's page cache into the WAL over and over (it had written 200 GB
    # and grown a 17 GB WAL after 35 minutes, unfinished).
    "${timer[@]}" build/broadsheet article import --batch 10000 --db "$db" "$dir" >/dev/null 2>"$errfile" || status=1
  else
    find "$dir" -name '*.md' -print0 | sort -z \
      | xargs -0 -n 1000 "${timer[@]}" build/broadsheet article import --db "$db" >/dev/null 2>"$errfile" \
      || status=1
  fi
  if [ "$status" = 0 ] && [ -s "$timefile" ]; then
    peak=$(awk '$1 + 0 > m {m = $1 + 0} END {printf "%.1f", m / 1024}' "$timefile")
  fi
  [ "$status" = 0 ] || cat "$errfile" >&2
  rm -f "$timefile" "$errfile"
  [ "$status" = 0 ] && echo "$peak"
}

# bench_file_mib FILE...: the total size of the files that exist, in MiB (a database with its
# -wal file).
bench_file_mib() {
  local f total=0
  for f in "$@"; do [ -f "$f" ] && total=$((total + $(stat -c %s "$f"))); done
  awk -v b="$total" 'BEGIN { printf "%.0f", b / 1048576 }'
}

# The server options the benchmarks use when this build has them: --metrics-address (issue 9;
# off by default). bench_metrics_option PORT prints the option, or nothing.
bench_metrics_option() {
  local help
  help=$(build/broadsheet help 2>&1)
  if [[ $help == *--metrics-address* ]]; then
    echo "--metrics-address=127.0.0.1:$1"
  fi
}

# bench_cache_counters URL: "hits misses evictions bytes" from a /metrics page (Prometheus'
# text format; a metric with labels is summed over them), or nothing when it does not answer
# (a build without /metrics) or has no cache hits counter.
bench_cache_counters() {
  [ -n "$1" ] || return 0
  curl -sf --max-time 2 "$1" 2>/dev/null | awk '
    /^#/ {next}
    {name = $1; sub(/\{.*/, "", name); v[name] += $NF; seen[name] = 1}
    END {if (seen["broadsheet_cache_hits_total"])
           printf "%.0f %.0f %.0f %.0f\n", v["broadsheet_cache_hits_total"],
             v["broadsheet_cache_misses_total"], v["broadsheet_cache_evictions_total"],
             v["broadsheet_cache_bytes"]}'
}

# bench_cache_line BEFORE AFTER: "cache: H hits, M misses (hit ratio R), E evictions, B MiB"
# over a run, from two bench_cache_counters readings; nothing when either is empty.
bench_cache_line() {
  [ -n "$1" ] && [ -n "$2" ] || return 0
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    h = y[1] - x[1]; m = y[2] - x[2]; e = y[3] - x[3]
    printf "cache: %d hits, %d misses (hit ratio %.3f), %d evictions, %.1f MiB held\n",
      h, m, (h + m) ? h / (h + m) : 0, e, y[4] / 1048576 }'
}

# bench_cache_setting: the page cache's size setting and its default, from `broadsheet help`.
bench_cache_setting() {
  build/broadsheet help 2>&1 | awk '/^  --cache-(bytes|entries)/ {
    name = substr($1, 3); gsub(/-/, "_", name); d = $0; sub(/.*\(default: /, "", d); sub(/\)$/, "", d)
    print name " " d " (default)"; exit }'
}

# bench_reader BASE_URL DB EMAIL PASSWORD: adds a reader account to DB (the CLI) and signs it
# in at BASE_URL the way a browser does (the log-in form's CSRF token, then its POST); prints
# the Cookie header's value that carries the session. Returns 1 if either step failed.
bench_reader() {
  local base=$1 db=$2 email=$3 password=$4 jar csrf
  printf '%s\n' "$password" | build/broadsheet user add "$email" --name "Bench Reader" --db "$db" \
    >/dev/null || return 1
  jar=$(mktemp)
  csrf=$(curl -sf -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 \
    | sed 's/.*value="//; s/"$//')
  [ -n "$csrf" ] || { rm -f "$jar"; return 1; }
  curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "next=/" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$base/login" \
    || { rm -f "$jar"; return 1; }
  # Netscape cookie file: name and value are the last two fields; #HttpOnly_ lines are cookies.
  awk -F'\t' 'NF >= 7 && $1 !~ /^# / { printf "%s%s=%s", n++ ? "; " : "", $6, $7 }' "$jar"
  rm -f "$jar"
}

# bench_section_cursors DB PAGE COUNT OUT (issue 12, "Archives and paging"): writes to OUT the
# paths of COUNT keyset pages of the biggest section of the SQLite database DB, around page PAGE
# (30 articles a page, as src/page_section.c): /sections/SLUG/before/ID for COUNT adjacent
# cursors, starting at page PAGE's own cursor (page 1: the first pages, from the cursor of the
# newest article), or, when the section is not that deep, its deepest COUNT cursors that still
# have a full page after them. Prints the page number the first of them opens. Distinct paths,
# so that a server with a small cache renders nearly every request: what a page costs the
# database, not the cache.
bench_section_cursors() {
  local db=$1 page=$2 count=$3 out=$4 slug id total start
  read -r slug id total < <(sqlite3 -separator ' ' "$db" "SELECT s.slug, s.id, (SELECT count(*) FROM articles a
    WHERE a.state = 'published' AND a.section_id = s.id) AS n FROM sections s ORDER BY n DESC LIMIT 1")
  # cursors 0 .. total - 31 (positions in the list, newest first) have a full page after them
  [ "$total" -gt 30 ] || { echo "bench: the section $slug has one page only" >&2; return 1; }
  start=$(( page > 1 ? (page - 1) * 30 - 1 : 0 ))
  [ $(( start + count )) -le $(( total - 30 )) ] || start=$(( total - 30 - count > 0 ? total - 30 - count : 0 ))
  [ $(( start + count )) -le $(( total - 30 )) ] || count=$(( total - 30 - start ))
  sqlite3 "$db" "SELECT '/sections/$slug/before/' || a.id FROM articles a WHERE a.state = 'published'
    AND a.section_id = $id ORDER BY a.published_at DESC, a.id DESC LIMIT $count OFFSET $start" >"$out"
  [ -s "$out" ] || { echo "bench: the section $slug has no articles to page through" >&2; return 1; }
  echo $(( (start + 1) / 30 + 1 ))
}
