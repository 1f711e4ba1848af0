// The receiver URL rule: public https hosts only, loopback only where the dev flag allows it.
import { describe, expect, it } from 'vitest';
import { receiverUrlProblem } from './receiver-url';

const receiverUrlAllowed = (url: string, allowLoopback: boolean) => receiverUrlProblem(url, allowLoopback) === null;

describe('receiverUrlProblem', () => {
  it('accepts public https hosts on 443 or 8443', () => {
    for (const url of [
      'https://hooks.example.com/storefront',
      'https://hooks.example.com:443/x',
      'https://hooks.example.com:8443/x',
      'https://93.184.216.34/x',
      'https://[2606:4700::6810:84e5]/x',
      'https://hooks.example.com./x',
    ])
      expect(receiverUrlProblem(url, false), url).toBeNull();
  });

  it('refuses loopback, private, link-local, CGNAT, ULA and IPv4-mapped addresses', () => {
    for (const url of [
      'https://127.0.0.1/x',
      'https://127.1.2.3/x',
      'https://0x7f.1/x', // URL normalizes it to 127.0.0.1
      'https://2130706433/x',
      'https://0.0.0.0/x',
      'https://10.0.0.5/x',
      'https://172.16.0.1/x',
      'https://172.31.255.255/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://100.127.255.255/x',
      'https://224.0.0.1/x',
      'https://[::1]/x',
      'https://[::]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a00:5]/x',
      'https://[64:ff9b::a00:5]/x',
      'https://[fc00::1]/x',
      'https://[fd12:3456::1]/x',
      'https://[fe80::1]/x',
      'https://[ff02::1]/x',
      'https://[2002:a00:5::1]/x',
    ])
      expect(receiverUrlProblem(url, false), url).toBe('must not be a loopback, private or link-local address');
  });

  it('refuses local and internal names and single-label hosts', () => {
    for (const url of [
      'https://localhost/x',
      'https://localhost./x',
      'https://api.localhost/x',
      'https://metadata.google.internal/x',
      'https://printer.local/x',
      'https://router.home.arpa/x',
    ])
      expect(receiverUrlProblem(url, false), url).toBe('must be a public host name, not a local or internal one');
    expect(receiverUrlProblem('https://intranet/x', false)).toBe('must be a fully qualified host name');
  });

  it('refuses other ports, http, credentials and non-URLs', () => {
    expect(receiverUrlProblem('https://hooks.example.com:5432/x', false)).toBe('must use port 443 (or 8443)');
    expect(receiverUrlProblem('https://10.0.0.5:6379/x', false)).toBe('must use port 443 (or 8443)');
    expect(receiverUrlProblem('http://hooks.example.com/x', false)).toBe('must be an https URL');
    expect(receiverUrlProblem('https://u:p@hooks.example.com/x', false)).toBe('must not carry credentials');
    expect(receiverUrlProblem('not a url', false)).toBe('must be a URL');
    expect(receiverUrlProblem('ftp://hooks.example.com/x', false)).toBe('must be an https URL');
  });

  it('accepts loopback, http or https on any port, only with allowLoopback; nothing else private', () => {
    for (const url of [
      'http://127.0.0.1:8787/hook',
      'https://127.0.0.1:5432/x',
      'http://localhost:3000/x',
      'http://[::1]:9/x',
    ]) {
      expect(receiverUrlAllowed(url, true), url).toBe(true);
      expect(receiverUrlAllowed(url, false), url).toBe(false);
    }
    expect(receiverUrlAllowed('http://10.0.0.5/x', true)).toBe(false);
    expect(receiverUrlAllowed('https://169.254.169.254/x', true)).toBe(false);
    expect(receiverUrlAllowed('http://hooks.example.com/x', true)).toBe(false);
  });
});
