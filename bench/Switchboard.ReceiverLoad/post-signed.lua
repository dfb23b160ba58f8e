-- wrk script: POSTs pre-signed webhooks from requests.tsv (timestamp, signature, body per line), each once per
-- thread's share, so every request carries a new event id. WEBHOOKS=path/to/requests.tsv, DELAY_MS=n for a paced run,
-- SKIP=n to start at line n and COUNT=n to take n lines from there (a warm-up run takes its webhooks from a part of the
-- file the measured run never reaches, or the measured run would replay the warm-up's events as duplicates; a run that
-- sends more than its lines starts over on them, and the duplicates it then gets are counted below).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("WEBHOOKS") or "requests.tsv"
  local index = 0
  local skip = tonumber(os.getenv("SKIP") or "0")
  local stop = skip + tonumber(os.getenv("COUNT") or "1e12")
  requests = {}
  for line in io.lines(path) do
    if index >= stop then
      break
    end
    if index >= skip and index % tonumber(os.getenv("THREADS") or "2") == id then
      local timestamp, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/webhooks/telnyx", {
        ["Content-Type"] = "application/json",
        ["telnyx-timestamp"] = timestamp,
        ["telnyx-signature-ed25519"] = signature,
      }, body)
    end
    index = index + 1
  end
  next_request = 0
  delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
  duplicates = 0
end

function request()
  next_request = next_request + 1
  if next_request > #requests then
    next_request = 1
  end
  return requests[next_request]
end

function delay()
  return delay_ms
end

-- The library answers {"status":"duplicate",...} for an event it has stored before; counted so a run that measured
-- the duplicate path instead of new events says so.
function response(status, headers, body)
  if body ~= nil and string.find(body, '"duplicate"', 1, true) then
    duplicates = duplicates + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("duplicates") or 0)
  end
  io.write(string.format("duplicates answered: %d\n", total))
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
