#!/usr/bin/env python3
"""Copies UnhostedStore's bucket to a local folder and back, for deploy/backup.sh and
deploy/restore.sh. A small S3 client (AWS Signature Version 4, path-style addressing) on the
Python 3 standard library only, so it runs wherever python3 does and talks to any S3 server
(SeaweedFS, Garage, Swift s3api, AWS ...).

    s3sync.py download DIR [--prefix blobs/]   every object (under the prefix) to DIR/<key>,
                                               and DIR/../objects.tsv (key, size, sha256)
    s3sync.py upload DIR                       every file under DIR as object <relative path>
    s3sync.py verify MANIFEST                  the bucket holds every object of MANIFEST, same size
    s3sync.py make-bucket                      create the bucket unless it exists
    s3sync.py count [--prefix P]               print the number of objects

Connection, from the environment (the server's own setting names, or S3_* ones):
    Blobs__S3__Endpoint  / S3_ENDPOINT     host:port
    Blobs__S3__AccessKey / S3_ACCESS_KEY
    Blobs__S3__SecretKey / S3_SECRET_KEY
    Blobs__S3__Bucket    / S3_BUCKET       (default unhostedstore)
    Blobs__S3__Region    / S3_REGION       (default us-east-1)
    Blobs__S3__UseTls    / S3_USE_TLS      true for https (default false)
"""

import datetime
import hashlib
import hmac
import http.client
import os
import ssl
import sys
import urllib.parse
import xml.etree.ElementTree as ET

CHUNK = 1024 * 1024


def setting(app_name, short_name, default=None):
    value = os.environ.get(app_name) or os.environ.get(short_name) or default
    if value is None:
        sys.exit(f"s3sync: set {app_name} (or {short_name})")
    return value


class S3:
    def __init__(self):
        self.endpoint = setting("Blobs__S3__Endpoint", "S3_ENDPOINT")
        self.access_key = setting("Blobs__S3__AccessKey", "S3_ACCESS_KEY")
        self.secret_key = setting("Blobs__S3__SecretKey", "S3_SECRET_KEY")
        self.bucket = setting("Blobs__S3__Bucket", "S3_BUCKET", "unhostedstore")
        self.region = setting("Blobs__S3__Region", "S3_REGION", "us-east-1")
        self.tls = setting("Blobs__S3__UseTls", "S3_USE_TLS", "false").lower() == "true"
        if "://" in self.endpoint:
            sys.exit("s3sync: the endpoint is host:port, without a scheme")

    def _connection(self):
        if self.tls:
            return http.client.HTTPSConnection(self.endpoint, timeout=300, context=ssl.create_default_context())
        return http.client.HTTPConnection(self.endpoint, timeout=300)

    @staticmethod
    def _quote(value):
        return urllib.parse.quote(value, safe="-_.~")

    def request(self, method, key=None, query=None, body=None, payload_hash=None, length=0):
        """Sends one signed request; returns (status, headers, response) with the response unread."""
        path = "/" + self._quote(self.bucket)
        if key is not None:
            path += "/" + "/".join(self._quote(part) for part in key.split("/"))
        query = query or {}
        canonical_query = "&".join(
            f"{self._quote(k)}={self._quote(v)}" for k, v in sorted(query.items()))
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        payload_hash = payload_hash or hashlib.sha256(b"").hexdigest()
        headers = {"host": self.endpoint, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([
            method, path, canonical_query,
            "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
            signed, payload_hash])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key_bytes = ("AWS4" + self.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}")
        headers["content-length"] = str(length)

        conn = self._connection()
        conn.putrequest(method, path + ("?" + canonical_query if canonical_query else ""),
                        skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body is not None:
            while True:
                chunk = body.read(CHUNK)
                if not chunk:
                    break
                conn.send(chunk)
        response = conn.getresponse()
        return response.status, response

    def check(self, status, response, what, ok=(200,)):
        if status not in ok:
            text = response.read(2000).decode("utf-8", "replace")
            sys.exit(f"s3sync: {what}: HTTP {status}: {text}")

    def list(self, prefix=""):
        """Yields (key, size) of every object under prefix (ListObjects v1, paged by marker)."""
        marker = ""
        while True:
            query = {"prefix": prefix, "max-keys": "1000"}
            if marker:
                query["marker"] = marker
            status, response = self.request("GET", query=query)
            self.check(status, response, f"list bucket {self.bucket}")
            root = ET.fromstring(response.read())
            truncated = False
            last = None
            for element in root:
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "IsTruncated":
                    truncated = (element.text or "").strip().lower() == "true"
                elif tag == "Contents":
                    fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
                    last = fields["Key"]
                    yield last, int(fields.get("Size", "0"))
            if not truncated or last is None:
                return
            marker = last

    def download(self, key, target):
        status, response = self.request("GET", key)
        self.check(status, response, f"get {key}")
        digest = hashlib.sha256()
        size = 0
        tmp = target + ".part"
        with open(tmp, "wb") as out:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        os.replace(tmp, target)
        return size, digest.hexdigest()

    def upload(self, key, source):
        digest = hashlib.sha256()
        with open(source, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                digest.update(chunk)
        size = os.path.getsize(source)
        with open(source, "rb") as f:
            status, response = self.request("PUT", key, body=f, payload_hash=digest.hexdigest(), length=size)
        self.check(status, response, f"put {key}")
        response.read()
        return size

    def make_bucket(self):
        status, response = self.request("PUT")
        text = response.read().decode("utf-8", "replace")
        if status == 200 or (status == 409 and "BucketAlreadyOwnedByYou" in text):
            return
        sys.exit(f"s3sync: create bucket {self.bucket}: HTTP {status}: {text[:2000]}")


def safe_path(root, key):
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts):
        sys.exit(f"s3sync: refusing an object key that is not a plain relative path: {key!r}")
    return os.path.join(root, *parts)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    command, rest = argv[1], argv[2:]
    prefix = ""
    if "--prefix" in rest:
        i = rest.index("--prefix")
        prefix = rest[i + 1]
        del rest[i:i + 2]
    s3 = S3()
    if command == "download" and len(rest) == 1:
        root = rest[0]
        os.makedirs(root, exist_ok=True)
        manifest = os.path.join(os.path.dirname(os.path.abspath(root)), "objects.tsv")
        count = total = 0
        with open(manifest, "w", encoding="utf-8") as out:
            for key, listed in s3.list(prefix):
                target = safe_path(root, key)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                size, sha = s3.download(key, target)
                if size != listed:
                    sys.exit(f"s3sync: {key}: listed {listed} bytes, got {size}")
                out.write(f"{key}\t{size}\t{sha}\n")
                count += 1
                total += size
        print(f"s3sync: downloaded {count} objects, {total} bytes from {s3.bucket}")
    elif command == "upload" and len(rest) == 1:
        root = rest[0]
        count = total = 0
        for directory, _, files in os.walk(root):
            for name in sorted(files):
                path = os.path.join(directory, name)
                key = os.path.relpath(path, root).replace(os.sep, "/")
                total += s3.upload(key, path)
                count += 1
        print(f"s3sync: uploaded {count} objects, {total} bytes to {s3.bucket}")
    elif command == "verify" and len(rest) == 1:
        stored = dict(s3.list(prefix))
        missing = 0
        with open(rest[0], encoding="utf-8") as f:
            for line in f:
                key, size, _ = line.rstrip("\n").split("\t")
                if stored.get(key) != int(size):
                    print(f"s3sync: {key}: expected {size} bytes, bucket has {stored.get(key)}", file=sys.stderr)
                    missing += 1
        if missing:
            sys.exit(f"s3sync: {missing} objects missing or of the wrong size in {s3.bucket}")
        print(f"s3sync: every object of {rest[0]} is in {s3.bucket}")
    elif command == "make-bucket" and not rest:
        s3.make_bucket()
    elif command == "count" and not rest:
        print(sum(1 for _ in s3.list(prefix)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
