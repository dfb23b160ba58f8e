#!/usr/bin/env bash
# What one API key holder can make `switchboard serve` hold (issue 23): the peak RSS of six parallel
# GET /v2/webhook_deliveries?page[size]=250 on a database of big messages, and the cost of one call command after
# thousands of commands on the same call. Runs a built switchboard (this tree's, or another's for a before/after).
#   bench/Switchboard.PlatformLoad/bounds.sh [switchboard.dll] [text length] [messages] [commands]
# Defaults: this tree's Release build, 5000 characters (the limit today; 1048000 for the old unbounded text), 300
# messages, 6000 commands. The sink answers every webhook 200 with a 10 kB body (what the attempt log keeps).
set -euo pipefail
cd "$(dirname "$0")/../.."
dll=${1:-src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll}
text=${2:-5000}; messages=${3:-300}; commands=${4:-6000}
work=$(mktemp -d); key=bounds-bench-api-key-0123456789
sink_port=$((20000 + RANDOM % 10000)); port=$((30000 + RANDOM % 10000))
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"x" * 10240
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$sink_port" &
sink=$!
dotnet "$dll" serve --urls "http://127.0.0.1:$port" --data "$work" --api-key "$key" --lifecycle-delay 0 >"$work/serve.log" 2>&1 &
serve=$!
trap 'kill $serve $sink 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"' EXIT
api() { curl -sS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
until curl -s "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
profile=$(api -X POST "http://127.0.0.1:$port/v2/messaging_profiles" -d "{\"name\":\"bench\",\"whitelisted_destinations\":[\"US\"],\"webhook_url\":\"http://127.0.0.1:$sink_port/hooks\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
api -X POST "http://127.0.0.1:$port/v2/number_orders" -d "{\"phone_numbers\":[{\"phone_number\":\"+18445550001\"}],\"messaging_profile_id\":\"$profile\"}" >/dev/null
python3 -c 'import json,sys; print(json.dumps({"from":"+18445550001","to":"+13125550100","type":"MMS","text":"a"*int(sys.argv[1])}))' "$text" >"$work/message.json"
accepted=0
for i in $(seq 1 "$messages"); do
  status=$(api -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/v2/messages" --data-binary "@$work/message.json")
  [ "$status" = 200 ] && accepted=$((accepted + 1))
done
until [ "$(api "http://127.0.0.1:$port/v2/webhook_deliveries?filter%5Bstatus%5D%5Beq%5D=pending&page%5Bsize%5D=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total_results"])')" = 0 ]; do sleep 0.5; done
total=$(api "http://127.0.0.1:$port/v2/webhook_deliveries?page%5Bsize%5D=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total_results"])')
rss() { awk -v f="$1" '$1 == f":" {printf "%.2f", $2 / 1048576}' "/proc/$serve/status"; }
echo 5 >"/proc/$serve/clear_refs" # resets the peak (VmHWM) to the RSS now
before=$(rss VmRSS)
for round in 1 2 3; do
  lists=()
  for n in 1 2 3 4 5 6; do api -o /dev/null "http://127.0.0.1:$port/v2/webhook_deliveries?page%5Bsize%5D=250" & lists+=($!); done
  wait "${lists[@]}"
done
page=$(api "http://127.0.0.1:$port/v2/webhook_deliveries?page%5Bsize%5D=250" | wc -c)
echo "lists: $accepted of $messages messages of $text characters accepted, $total deliveries; one page of 250: $((page / 1024)) KiB; RSS $before GB, peak over 3 rounds of 6 parallel lists $(rss VmHWM) GB"

app=$(api -X POST "http://127.0.0.1:$port/v2/call_control_applications" -d "{\"application_name\":\"bench\",\"webhook_event_url\":\"http://127.0.0.1:$sink_port/calls\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
api -X POST "http://127.0.0.1:$port/v2/number_orders" -d "{\"phone_numbers\":[{\"phone_number\":\"+18445550002\"}],\"connection_id\":\"$app\"}" >/dev/null
call=$(api -X POST "http://127.0.0.1:$port/v2/calls" -d "{\"connection_id\":\"$app\",\"from\":\"+18445550002\",\"to\":\"+13125550199\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["call_control_id"])')
python3 - "$port" "$key" "$call" "$commands" <<'EOF'
import http.client, json, sys, time, urllib.parse
port, key, call, commands = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
connection = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
path = f"/v2/calls/{urllib.parse.quote(call, safe='')}/actions/speak"
for _ in range(100):  # the far end answers after the lifecycle's steps
    connection.request("POST", path, json.dumps({"payload": "hi"}), headers)
    response = connection.getresponse(); response.read()
    if response.status == 200:
        break
    time.sleep(0.1)
times = []
for i in range(commands):
    body = json.dumps({"payload": "hi", "command_id": f"{i:08d}-0f8fad5b-d9cb-469f-a165-70867728950e"})
    started = time.perf_counter()
    connection.request("POST", path, body, headers)
    response = connection.getresponse(); response.read()
    times.append(time.perf_counter() - started)
    if response.status != 200:
        sys.exit(f"command {i}: {response.status}")
ms = lambda part: 1000 * sum(part) / len(part)
print(f"commands: first 100 {ms(times[:100]):.1f} ms each, commands {commands - 100} to {commands} {ms(times[-100:]):.1f} ms each", end="")
EOF
echo "; the call's stored record: $(python3 -c 'import sqlite3,sys; c=sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True); print(c.execute("SELECT length(body) FROM work_documents WHERE kind = ? AND id = ?", ("call", sys.argv[2])).fetchone()[0])' "$work/switchboard.db" "$call") bytes"
