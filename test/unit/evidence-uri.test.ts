import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  EvidenceUnavailableError,
  EvidenceUriError,
  formatEvidenceUri,
  isEvidenceFileName,
  isS3Prefix,
  parseEvidenceUri,
  type EvidenceLocation,
} from '../../lambdas/core/corpus/evidence-source';

function refusal(uri: string): EvidenceUriError {
  try {
    parseEvidenceUri(uri);
  } catch (error) {
    expect(error).toBeInstanceOf(EvidenceUriError);
    return error as EvidenceUriError;
  }
  throw new Error(`expected ${uri} to be refused`);
}

describe('parseEvidenceUri', () => {
  describe('file URIs', () => {
    it('reads a path relative to the evidence root', () => {
      expect(parseEvidenceUri('file://evidence/support-bot/adversarial-probes.jsonl')).toEqual({ scheme: 'file', path: 'evidence/support-bot/adversarial-probes.jsonl' });
    });

    it('accepts every evidence URI of runbooks/slos.yaml', () => {
      const policy = parseYaml(readFileSync(path.resolve(__dirname, '../../runbooks/slos.yaml'), 'utf8')) as { slos: { evidence?: { uri: string } }[] };
      const uris = policy.slos.flatMap((slo) => (slo.evidence === undefined ? [] : [slo.evidence.uri]));
      expect(uris.length).toBeGreaterThan(0);
      for (const uri of uris) expect(parseEvidenceUri(uri)).toMatchObject({ scheme: 'file' });
    });

    it('reads file:/// and a bare absolute path as absolute paths', () => {
      expect(parseEvidenceUri('file:///srv/evidence/hitlog.jsonl')).toEqual({ scheme: 'file', path: '/srv/evidence/hitlog.jsonl' });
      expect(parseEvidenceUri('/srv/evidence/hitlog.jsonl')).toEqual({ scheme: 'file', path: '/srv/evidence/hitlog.jsonl' });
    });

    it('drops "." and empty segments and surrounding whitespace', () => {
      expect(parseEvidenceUri('  file://./evidence//support-bot/./x.jsonl\n')).toEqual({ scheme: 'file', path: 'evidence/support-bot/x.jsonl' });
    });

    it('decodes percent-escapes in the path', () => {
      expect(parseEvidenceUri('file://evidence/probe%20run%3F.jsonl')).toEqual({ scheme: 'file', path: 'evidence/probe run?.jsonl' });
    });

    it.each([
      ['file://../etc/passwd', '".." segment'],
      ['file://evidence/../../etc/passwd', '".." segment'],
      ['file://evidence/%2E%2E/%2e%2e/etc/passwd', '".." segment'],
      ['file:///srv/evidence/../../etc/passwd', '".." segment'],
      ['/srv/evidence/../secrets.jsonl', '".." segment'],
      ['file://evidence\\..\\x.jsonl', 'forward slashes'],
      ['file://', 'expected a path'],
      ['file://evidence/x.jsonl?raw=1', 'takes no query'],
      ['file://evidence/%00x.jsonl', 'control character'],
      ['file://evidence/%zz.jsonl', 'malformed percent-escape'],
    ])('refuses %s (%s)', (uri, reason) => {
      expect(refusal(uri).reason).toContain(reason);
    });
  });

  describe('s3 URIs', () => {
    it('reads a bucket and a key', () => {
      expect(parseEvidenceUri('s3://firebreak-evidence/support-bot/2026-11-21/hitlog.jsonl')).toEqual({ scheme: 's3', bucket: 'firebreak-evidence', key: 'support-bot/2026-11-21/hitlog.jsonl' });
    });

    it('reads a key ending with "/" and a bare bucket as prefixes', () => {
      const prefix = parseEvidenceUri('s3://firebreak-evidence/support-bot/') as Extract<EvidenceLocation, { scheme: 's3' }>;
      const bucket = parseEvidenceUri('s3://firebreak-evidence') as Extract<EvidenceLocation, { scheme: 's3' }>;
      expect([prefix.key, isS3Prefix(prefix.key)]).toEqual(['support-bot/', true]);
      expect([bucket.key, isS3Prefix(bucket.key)]).toEqual(['', true]);
      expect(isS3Prefix('support-bot/hitlog.jsonl')).toBe(false);
    });

    it('decodes percent-escapes in the key and keeps "+" as a plus', () => {
      expect(parseEvidenceUri('s3://firebreak-evidence/a%20b+c.jsonl')).toMatchObject({ key: 'a b+c.jsonl' });
    });

    it.each([
      ['s3://Firebreak_Evidence/x.jsonl', 'bucket'],
      ['s3://ab/x.jsonl', 'bucket'],
      ['s3://192.168.0.1/x.jsonl', 'IP address'],
      ['s3://firebreak-evidence/../other/x.jsonl', '".." segment'],
      ['s3://firebreak-evidence/a/./x.jsonl', '"." or ".." segment'],
      ['s3://firebreak-evidence//x.jsonl', 'no "/" at the start'],
      ['s3://firebreak-evidence/x.jsonl?versionId=1', 'takes no query'],
      ['s3:firebreak-evidence/x.jsonl', 'expected "s3://"'],
    ])('refuses %s (%s)', (uri, reason) => {
      expect(refusal(uri).reason).toContain(reason);
    });
  });

  describe('logs-insights URIs', () => {
    it('reads a log group whose name starts with "/"', () => {
      expect(parseEvidenceUri('logs-insights:///aws/lambda/support-bot')).toEqual({ scheme: 'logs-insights', logGroup: '/aws/lambda/support-bot' });
    });

    it('reads since= as minutes and query= percent-decoded, "+" kept as a plus', () => {
      const query = 'fields @message | filter score > 0.5 + 0.1 and verdict = "complied"';
      expect(parseEvidenceUri(`logs-insights://support-bot-logs?since=2h&query=${encodeURIComponent(query)}`)).toEqual({
        scheme: 'logs-insights',
        logGroup: 'support-bot-logs',
        sinceMinutes: 120,
        query,
      });
      expect(parseEvidenceUri('logs-insights://g?since=45m')).toMatchObject({ sinceMinutes: 45 });
      expect(parseEvidenceUri('logs-insights://g?since=2d')).toMatchObject({ sinceMinutes: 2880 });
    });

    it('refuses a query longer than Logs Insights takes', () => {
      expect(refusal(`logs-insights://g?query=${'x'.repeat(10_001)}`).reason).toContain('at most 10000 characters');
    });

    it('keeps line breaks of a multi-line query and refuses other control characters in it', () => {
      expect(parseEvidenceUri('logs-insights://g?query=fields%20%40message%0A%7C%20limit%205')).toMatchObject({ query: 'fields @message\n| limit 5' });
      expect(refusal('logs-insights://g?query=fields%07').reason).toContain('control character');
    });

    it('accepts a "#" in a log group name written as %23', () => {
      expect(parseEvidenceUri('logs-insights://team%23support')).toMatchObject({ logGroup: 'team#support' });
    });

    it.each([
      ['logs-insights://', 'log group'],
      ['logs-insights://bad group', 'log group'],
      ['logs-insights://g?since=2w', 'since='],
      ['logs-insights://g?since=31d', 'at most 30d'],
      ['logs-insights://g?since=0m', 'since='],
      ['logs-insights://g?query=', 'query= is empty'],
      ['logs-insights://g?since=1h&since=2h', 'given twice'],
      ['logs-insights://g?limit=10', 'unknown parameter "limit"'],
    ])('refuses %s (%s)', (uri, reason) => {
      expect(refusal(uri).reason).toContain(reason);
    });
  });

  it.each([
    ['https://example.com/evidence.jsonl', 'http(s) URLs are not evidence sources'],
    ['http://169.254.169.254/latest/meta-data', 'http(s) URLs are not evidence sources'],
    ['ftp://example.com/x.jsonl', 'unsupported scheme "ftp:"'],
    ['gs://bucket/x.jsonl', 'unsupported scheme "gs:"'],
    ['evidence/x.jsonl', 'expected a URI with a scheme'],
    ['', 'expected a URI'],
    ['file://evidence/x\u0007.jsonl', 'control character'],
  ])('refuses %s', (uri, reason) => {
    const error = refusal(uri);
    expect(error.reason).toContain(reason);
    expect(error.name).toBe('EvidenceUriError');
    expect(error.message).toContain('refused');
  });

  it.each<EvidenceLocation>([
    { scheme: 'file', path: 'evidence/support-bot/a b#1?.jsonl' },
    { scheme: 'file', path: '/srv/evidence/x.jsonl' },
    { scheme: 's3', bucket: 'firebreak-evidence', key: 'support-bot/a+b %.jsonl' },
    { scheme: 's3', bucket: 'firebreak-evidence', key: '' },
    { scheme: 'logs-insights', logGroup: '/aws/lambda/support#bot', sinceMinutes: 90, query: 'fields @message\n| filter a = "b&c" | limit 5' },
    { scheme: 'logs-insights', logGroup: 'g', sinceMinutes: 1440 },
  ])('formats a location that parses back to itself: %j', (location) => {
    expect(parseEvidenceUri(formatEvidenceUri(location))).toEqual(location);
  });
});

describe('evidence helpers and errors', () => {
  it('counts .jsonl files as evidence files of a folder or prefix', () => {
    expect([isEvidenceFileName('hitlog.jsonl'), isEvidenceFileName('RESULTS.JSONL'), isEvidenceFileName('results.json'), isEvidenceFileName('notes.txt')]).toEqual([true, true, false, false]);
  });

  it('names the unavailable evidence, keeps the cause and says whether to retry', () => {
    const cause = new Error('socket hang up');
    const error = new EvidenceUnavailableError('s3://b/k.jsonl', 'reading failed', { retryable: true, code: 'unavailable', cause });
    expect([error.name, error.retryable, error.code, error.cause, error.message]).toEqual(['EvidenceUnavailableError', true, 'unavailable', cause, 'evidence "s3://b/k.jsonl": reading failed']);
  });
});
