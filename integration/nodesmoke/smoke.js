#!/usr/bin/env node
// Smoke test of an OSS endpoint (normally ossemu) with the official Node SDK,
// ali-oss, so that the emulator is checked against a second, non-Go client.
//
//   node smoke.js --endpoint http://127.0.0.1:PORT --bucket smoke \
//                 [--key-id ID] [--v4] [--region cn-hangzhou] [--prefix P]
//
// Each option can also come from the environment: OSS_ENDPOINT, OSS_BUCKET,
// OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET (the secret only from there, to
// keep it off the command line), OSS_V4=1, OSS_REGION, OSS_PREFIX.
//
// Addressing: when the endpoint's host is an IP literal, ali-oss sends the
// request to http://IP:PORT/<key> (no bucket in the path) and names the
// bucket only in the Host header, "<bucket>.oss-<region>.aliyuncs.com"
// (lib/common/utils/createRequest.js, lib/common/client/getReqUrl.js). So
// the server sees a virtual-hosted request. cname and sldEnable stay off:
// sldEnable would put the bucket in the path as well, while Host still names
// it, and the bucket would appear twice.
//
// Every step prints "ok <step>"; the first failure prints the error (code,
// status, requestId) and the script exits 1.
'use strict';

const crypto = require('crypto');
const OSS = require('ali-oss');

function parseArgs(argv) {
  const env = process.env;
  const opts = {
    endpoint: env.OSS_ENDPOINT,
    bucket: env.OSS_BUCKET,
    keyId: env.OSS_ACCESS_KEY_ID,
    keySecret: env.OSS_ACCESS_KEY_SECRET,
    v4: env.OSS_V4 === '1' || env.OSS_V4 === 'true',
    region: env.OSS_REGION || 'cn-hangzhou',
    prefix: env.OSS_PREFIX,
  };
  const names = { '--endpoint': 'endpoint', '--bucket': 'bucket', '--key-id': 'keyId', '--region': 'region', '--prefix': 'prefix' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--v4') {
      opts.v4 = true;
    } else if (names[arg] && i + 1 < argv.length) {
      opts[names[arg]] = argv[++i];
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  for (const need of ['endpoint', 'bucket', 'keyId', 'keySecret']) {
    if (!opts[need]) throw new Error(`missing ${need} (see the header of smoke.js)`);
  }
  opts.prefix = opts.prefix || `nodesmoke-${opts.v4 ? 'v4' : 'v1'}-${Date.now()}/`;
  return opts;
}

function client(opts, secret) {
  return new OSS({
    endpoint: opts.endpoint,
    bucket: opts.bucket,
    region: `oss-${opts.region}`, // ali-oss strips "oss-" for the V4 scope
    accessKeyId: opts.keyId,
    accessKeySecret: secret,
    authorizationV4: opts.v4,
    timeout: 30000,
  });
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function checkEqual(got, want, what) {
  const g = Buffer.isBuffer(got) ? got.toString('hex') : JSON.stringify(got);
  const w = Buffer.isBuffer(want) ? want.toString('hex') : JSON.stringify(want);
  if (g !== w) throw new Error(`check failed: ${what}: got ${g.slice(0, 200)}, want ${w.slice(0, 200)}`);
}

// expectError runs fn, which must fail with the OSS error code and status.
async function expectError(fn, code, status, what) {
  try {
    await fn();
  } catch (err) {
    if (err.code === code && err.status === status) return err;
    throw err;
  }
  throw new Error(`check failed: ${what}: succeeded, want ${status} ${code}`);
}

function md5ETag(buf) {
  return `"${crypto.createHash('md5').update(buf).digest('hex').toUpperCase()}"`;
}

// pattern returns n deterministic bytes, different per seed.
function pattern(n, seed) {
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) buf[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return buf;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const oss = client(opts, opts.keySecret);
  const p = opts.prefix;
  const created = [];
  const step = name => console.log(`ok ${name}${opts.v4 ? ' (v4)' : ''}`);

  // put with a custom meta header and a content type.
  const body = Buffer.from('hello, ossemu!');
  const plain = `${p}plain.txt`;
  const put = await oss.put(plain, body, { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-color': 'blue' } });
  created.push(plain);
  checkEqual(put.res.status, 200, 'put status');
  checkEqual(put.res.headers.etag, md5ETag(body), 'put ETag is the quoted upper-case MD5');
  step('put');

  // ranged get.
  const ranged = await oss.get(plain, { headers: { Range: 'bytes=2-5' } });
  checkEqual(ranged.res.status, 206, 'ranged get status');
  checkEqual(ranged.content.toString(), 'llo,', 'ranged get content');
  checkEqual(ranged.res.headers['content-range'], `bytes 2-5/${body.length}`, 'Content-Range');
  step('get-range');

  // head: size, ETag, meta, object type, content type.
  const head = await oss.head(plain);
  checkEqual(head.status, 200, 'head status');
  checkEqual(Number(head.res.headers['content-length']), body.length, 'head size');
  checkEqual(head.res.headers.etag, put.res.headers.etag, 'head ETag');
  checkEqual(head.meta, { color: 'blue' }, 'head meta');
  checkEqual(head.res.headers['x-oss-object-type'], 'Normal', 'x-oss-object-type');
  checkEqual(head.res.headers['content-type'], 'text/plain', 'head Content-Type');
  step('head');

  // list with prefix and delimiter, over keys that need escaping.
  const dir = `${p}dir/`;
  const leaves = [`${dir}with space.txt`, `${dir}plus+sign.txt`, `${dir}ünïcode-文件.txt`];
  for (const key of [...leaves, `${dir}sub/deeper.txt`]) {
    await oss.put(key, Buffer.from(key));
    created.push(key);
  }
  const listed = await oss.list({ prefix: dir, delimiter: '/', 'max-keys': 100 });
  checkEqual(listed.objects.map(o => o.name).sort(), [...leaves].sort(), 'list keys');
  checkEqual(listed.prefixes, [`${dir}sub/`], 'list common prefixes');
  checkEqual(listed.isTruncated, false, 'list truncated');
  step('list');
  const listedV2 = await oss.listV2({ prefix: dir, delimiter: '/', 'max-keys': 100 });
  checkEqual(listedV2.objects.map(o => o.name).sort(), [...leaves].sort(), 'listV2 keys');
  checkEqual(listedV2.prefixes, [`${dir}sub/`], 'listV2 common prefixes');
  checkEqual(listedV2.keyCount, leaves.length + 1, 'listV2 KeyCount');
  step('listV2');

  // append twice, the second time at the position the first one returned.
  const log = `${p}append.log`;
  const a1 = await oss.append(log, Buffer.from('first;'));
  created.push(log);
  checkEqual(a1.nextAppendPosition, '6', 'first nextAppendPosition');
  const a2 = await oss.append(log, Buffer.from('second;'), { position: a1.nextAppendPosition });
  checkEqual(a2.nextAppendPosition, '13', 'second nextAppendPosition');
  const appended = await oss.get(log);
  checkEqual(appended.content.toString(), 'first;second;', 'appended content');
  checkEqual((await oss.head(log)).res.headers['x-oss-object-type'], 'Appendable', 'appended object type');
  await expectError(() => oss.append(log, Buffer.from('stale;'), { position: '6' }),
    'PositionNotEqualToLength', 409, 'append at a stale position');
  step('append');

  // copy with new metadata: the copy's meta replaces the source's.
  const copied = `${p}copied.txt`;
  await oss.copy(copied, plain, { meta: { color: 'red', shape: 'round' } });
  created.push(copied);
  const copyHead = await oss.head(copied);
  checkEqual(copyHead.meta, { color: 'red', shape: 'round' }, 'copy meta');
  checkEqual(Number(copyHead.res.headers['content-length']), body.length, 'copy size');
  checkEqual((await oss.get(copied)).content.toString(), body.toString(), 'copy content');
  checkEqual((await oss.head(plain)).meta, { color: 'blue' }, 'source meta after copy');
  step('copy');

  // multipart upload of three parts, the first two of at least 100 KiB.
  const big = `${p}multipart.bin`;
  const parts = [pattern(100 * 1024, 1), pattern(128 * 1024 + 3, 2), pattern(4321, 3)];
  const init = await oss.initMultipartUpload(big, { mime: 'application/octet-stream' });
  check(init.uploadId, 'initMultipartUpload returned an upload id');
  const done = [];
  for (let i = 0; i < parts.length; i++) {
    const up = await oss.uploadPart(big, init.uploadId, i + 1, parts[i], 0, parts[i].length);
    checkEqual(up.etag, md5ETag(parts[i]), `part ${i + 1} ETag`);
    done.push({ number: i + 1, etag: up.etag });
  }
  await oss.completeMultipartUpload(big, init.uploadId, done);
  created.push(big);
  const whole = Buffer.concat(parts);
  const got = await oss.get(big);
  checkEqual(got.content.length, whole.length, 'multipart size');
  check(got.content.equals(whole), 'multipart content equals the parts in order');
  checkEqual((await oss.head(big)).res.headers['x-oss-object-type'], 'Multipart', 'multipart object type');
  step('multipart');

  // delete everything in one request; the prefix then lists empty.
  const deleted = await oss.deleteMulti(created, { quiet: false });
  checkEqual(deleted.deleted.map(d => d.Key).sort(), [...created].sort(), 'deleteMulti deleted keys');
  const after = await oss.list({ prefix: p, 'max-keys': 100 });
  checkEqual(after.objects.map(o => o.name), [], 'keys left after deleteMulti');
  step('deleteMulti');

  // a wrong secret is refused.
  const wrong = client(opts, `${opts.keySecret}-wrong`);
  await expectError(() => wrong.get(plain), 'SignatureDoesNotMatch', 403, 'request signed with a wrong secret');
  step('bad-signature');
}

main().catch(err => {
  const fields = [`code=${err.code || '-'}`, `status=${err.status || '-'}`, `requestId=${err.requestId || '-'}`];
  if (err.ecCode) fields.push(`ec=${err.ecCode}`);
  console.error(`FAIL ${err.message}\n  ${fields.join(' ')}`);
  if (err.params) console.error(`  request: ${err.params.method} ${err.params.object || '(bucket)'}`);
  process.exitCode = 1;
});
