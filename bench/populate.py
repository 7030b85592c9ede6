#!/usr/bin/python3
"""bench/populate.py: bench data for bench/run.sh, over plain HTTP (stdlib only).

  populate.py put  <folder URL> <token> <count> <threads> [body bytes]
      PUTs <folder>d0 … d<count-1> (JSON documents), <threads> keep-alive connections; any status
      other than 200/201 stops it with an error.
  populate.py count <folder URL> <token>
      prints the number of items in the folder's listing.
  populate.py etag <URL> <token>
      prints the ETag of a GET of URL (quotes included); fails unless the GET answers 200.
  populate.py armadietto-fill <folder dir> <count>
      armadietto only: grows a folder that already holds d0 … (made over HTTP) to d0 … d<count-1>
      by writing armadietto's own file tree (the documents, and the folder's ".~meta" JSON with
      every new item carrying d0's ETag, Content-Type and length, so the folder's ETag and its
      parents stay as armadietto made them). Its PUT rewrites the whole .~meta under a per-user
      lock, which makes 10,000 PUTs into one folder take minutes.
"""
import os
import http.client
import json
import sys
import threading
import urllib.parse


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120), u.path


def get(url, token):
    conn, path = connect(url)
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"populate.py: GET {url}: {r.status} {body[:200]!r}")
    return r, body


def put(folder, token, count, threads, size):
    body = ('{"n":"' + "x" * max(0, size - 8) + '"}').encode()
    errors = []

    def worker(start):
        conn, path = connect(folder)
        for i in range(start, count, threads):
            if errors:
                return
            try:
                conn.request("PUT", f"{path}d{i}", body=body,
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
            except OSError as e:
                errors.append(f"PUT {folder}d{i}: {e}")
                return
            if r.status not in (200, 201):
                errors.append(f"PUT {folder}d{i}: {r.status}")
                return

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit("populate.py: " + errors[0])


def armadietto_fill(folder, count):
    meta_path = os.path.join(folder, ".~meta")
    with open(meta_path) as f:
        meta = json.load(f)
    first = meta["items"]["d0"]
    with open(os.path.join(folder, "d0"), "rb") as f:
        body = f.read()
    for i in range(count):
        name = f"d{i}"
        if name in meta["items"]:
            continue
        with open(os.path.join(folder, name), "wb") as f:
            f.write(body)
        meta["items"][name] = dict(first)
    tmp = meta_path + ".bench"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, meta_path)


def main():
    cmd = sys.argv[1]
    if cmd == "armadietto-fill":
        armadietto_fill(sys.argv[2], int(sys.argv[3]))
        return
    url, token = sys.argv[2], sys.argv[3]
    if cmd == "put":
        put(url, token, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 else 32)
    elif cmd == "count":
        _, body = get(url, token)
        print(len(json.loads(body)["items"]))
    elif cmd == "etag":
        r, _ = get(url, token)
        etag = r.getheader("ETag")
        if not etag:
            raise SystemExit(f"populate.py: GET {url}: no ETag")
        print(etag)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
