import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {InvalidInputError} from '../../src/model/errors.js'
import {type ChannelTarget, displayChannelUrl, parseChannelUrl} from '../../src/model/notify/channel-url.js'
import {redact} from '../../src/model/secrets/redaction.js'

describe('parseChannelUrl', () => {
  const accepted: Array<[string, ChannelTarget]> = [
    ['json://hooks.example.com/kedge', {kind: 'json', url: 'http://hooks.example.com/kedge', auth: null}],
    ['jsons://hooks.example.com', {kind: 'json', url: 'https://hooks.example.com/', auth: null}],
    ['json://10.0.0.5:8080/in/deploys/', {kind: 'json', url: 'http://10.0.0.5:8080/in/deploys/', auth: null}],
    ['json://[::1]:9000/a%20b', {kind: 'json', url: 'http://[::1]:9000/a%20b', auth: null}],
    ['jsons://bot:p%40ss-w0rd@hooks.example.com/x', {kind: 'json', url: 'https://hooks.example.com/x', auth: {scheme: 'basic', user: 'bot', password: 'p@ss-w0rd'}}],
    ['ntfy://alerts-kedge', {kind: 'ntfy', server: 'https://ntfy.sh', topic: 'alerts-kedge', auth: null}],
    ['ntfys://Alerts_1', {kind: 'ntfy', server: 'https://ntfy.sh', topic: 'Alerts_1', auth: null}],
    ['ntfy://ntfy.lan/deploys', {kind: 'ntfy', server: 'http://ntfy.lan', topic: 'deploys', auth: null}],
    ['ntfys://ntfy.example.com:8443/deploys/', {kind: 'ntfy', server: 'https://ntfy.example.com:8443', topic: 'deploys', auth: null}],
    ['ntfys://phil:s3cret-pw@ntfy.example.com/deploys', {kind: 'ntfy', server: 'https://ntfy.example.com', topic: 'deploys', auth: {scheme: 'basic', user: 'phil', password: 's3cret-pw'}}],
    ['ntfys://tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.example.com/deploys', {kind: 'ntfy', server: 'https://ntfy.example.com', topic: 'deploys', auth: {scheme: 'bearer', token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2'}}],
    ['ntfy://phil@ntfy.lan/deploys', {kind: 'ntfy', server: 'http://ntfy.lan', topic: 'deploys', auth: {scheme: 'basic', user: 'phil', password: ''}}],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7', {kind: 'slack', tokens: ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7'], channel: null, botName: null}],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#deploys', {kind: 'slack', tokens: ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7'], channel: '#deploys', botName: null}],
    ['slack://kedge@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/deploys', {kind: 'slack', tokens: ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7'], channel: '#deploys', botName: 'kedge'}],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/@ops', {kind: 'slack', tokens: ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7'], channel: '@ops', botName: null}],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/+C0123ABC', {kind: 'slack', tokens: ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7'], channel: 'C0123ABC', botName: null}],
    ['discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjCiOAF7711o33MyqU344Qpgv7YTpadV_js', {kind: 'discord', webhookId: '417429632418316298', webhookToken: 'JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjCiOAF7711o33MyqU344Qpgv7YTpadV_js', botName: null}],
    ['discord://kedge@417429632418316298/tok-en_123', {kind: 'discord', webhookId: '417429632418316298', webhookToken: 'tok-en_123', botName: 'kedge'}],
    ['gotify://gotify.lan/AbCdEf.123456', {kind: 'gotify', server: 'http://gotify.lan', token: 'AbCdEf.123456'}],
    ['gotifys://example.com:8443/push/gotify/AbCdEf.123456/', {kind: 'gotify', server: 'https://example.com:8443/push/gotify', token: 'AbCdEf.123456'}],
  ]
  for (const [url, target] of accepted) {
    it(`reads ${url}`, () => {
      assert.deepEqual(parseChannelUrl(url), target)
    })
  }

  describe('mail', () => {
    it('mailto:// is plain SMTP on port 25, from user@host to the sender', () => {
      assert.deepEqual(parseChannelUrl('mailto://kedge:mail-s3cret@example.com'), {
        kind: 'mail', host: 'example.com', port: 25, security: 'insecure', user: 'kedge', password: 'mail-s3cret',
        from: 'kedge@example.com', to: ['kedge@example.com'],
      })
    })

    it('mailtos:// requires STARTTLS on port 587', () => {
      const target = parseChannelUrl('mailtos://kedge:mail-s3cret@example.com?to=ops@example.com')
      assert.deepEqual([target.kind === 'mail' && target.security, target.kind === 'mail' && target.port], ['starttls', 587])
    })

    it('mailtos:// on port 465 is TLS from the first byte', () => {
      const target = parseChannelUrl('mailtos://kedge:mail-s3cret@example.com:465')
      assert.deepEqual([target.kind === 'mail' && target.security, target.kind === 'mail' && target.port], ['ssl', 465])
    })

    it('takes Apprise\'s mode=, smtp=, from= and the recipients from the path and to=', () => {
      assert.deepEqual(parseChannelUrl('mailto://me%40example.com:mail-s3cret@example.com/a@example.com?to=b@example.com,c@example.com&from=kedge@example.com&smtp=smtp.example.com&mode=ssl'), {
        kind: 'mail', host: 'smtp.example.com', port: 465, security: 'ssl', user: 'me@example.com', password: 'mail-s3cret',
        from: 'kedge@example.com', to: ['a@example.com', 'b@example.com', 'c@example.com'],
      })
    })

    it('sends from the user when it is an address, and takes user= and pass=', () => {
      const target = parseChannelUrl('mailtos://smtp.example.com?user=me@example.com&pass=mail-s3cret')
      assert.equal(target.kind === 'mail' && target.from, 'me@example.com')
      assert.equal(target.kind === 'mail' && target.password, 'mail-s3cret')
    })

    it('needs no user when from= is given', () => {
      assert.deepEqual(parseChannelUrl('mailto://127.0.0.1:2525?from=kedge@example.com&to=ops@example.com'), {
        kind: 'mail', host: '127.0.0.1', port: 2525, security: 'insecure', user: null, password: null, from: 'kedge@example.com', to: ['ops@example.com'],
      })
    })
  })

  const refused: Array<[string, RegExp, string?]> = [
    ['', /empty/],
    ['ntfy.sh/alerts', /scheme:\/\//],
    [`json://host/${'a'.repeat(2050)}`, /longer than 2048/],
    ['json://host/a b', /white space or control/],
    ['json://host/a\u0000b', /white space or control/],
    ['https://hooks.example.com/x', /scheme "https" is not supported/],
    ['ftp://host/x', /scheme "ftp" is not supported/],
    ['constructor://host/x', /scheme "constructor" is not supported/],
    ['json://host:99999/x', /not a valid URL/],
    ['json://host:0/x', /port is 0/],
    ['json://-host/x', /host/],
    ['json://ho%20st/x', /host/],
    ['json://host/%zz', /%-escape/],
    ['json://host/x?method=GET', /parameter "method"/],
    ['json://host/x#frag', /#fragment/],
    ['json://:json-s3cret@host/x', /password without a user/, 'json-s3cret'],
    ['ntfy://', /names no topic/],
    ['ntfy://ntfy.lan/one/two', /more than one topic/],
    ['ntfy://ntfy.lan/bad.topic', /topic/],
    ['ntfy://alerts:8080', /port but no topic/],
    ['ntfy://ntfy.lan/t?priority=high', /parameter "priority"/],
    ['ntfy://:ntfy-s3cret@ntfy.lan/t', /password without a user/, 'ntfy-s3cret'],
    ['slack://T1JJ3T3L2/A1BRTD4JD', /three tokens/, 'A1BRTD4JD'],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdn-lazk', /letters and digits/, 'TIiajkdn-lazk'],
    ['slack://xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d/#general', /bot tokens/, '4ddbc191d40ee098cbaae6f3523ada2d'],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/a/b', /more than one channel/, 'TIiajkdnlazkcOXrIdevi7'],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#bad%20name', /white space|channel/, 'TIiajkdnlazkcOXrIdevi7'],
    ['slack://bot:pw-s3cret@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7', /password/, 'TIiajkdnlazkcOXrIdevi7'],
    ['discord://417429632418316298', /webhook id and token/],
    ['discord://417429632418316298/tok-s3cret/extra', /webhook id and token/, 'tok-s3cret'],
    ['discord://not-a-number/tok-s3cret', /not a number/, 'tok-s3cret'],
    ['discord://417429632418316298/tok.s3cret', /token/, 'tok.s3cret'],
    ['gotify://gotify.lan', /no application token/],
    ['gotify://gotify.lan/tok%24s3cret', /token/, 'tok$s3cret'],
    ['gotify://user:pw-s3cret@gotify.lan/AbCdEf.123456', /not a user/, 'AbCdEf.123456'],
    ['mailto://example.com', /neither a user nor from=/],
    ['mailto://kedge:mail-s3cret@example.com?to=not-an-address', /not an email address/, 'mail-s3cret'],
    ['mailto://kedge:mail-s3cret@example.com?cc=x@example.com', /parameter "cc" \(it takes to, from, smtp, mode, user, pass\)/, 'mail-s3cret'],
    ['mailto://kedge:mail-s3cret@example.com?mode=tls', /mode=/, 'mail-s3cret'],
    ['mailtos://kedge:mail-s3cret@example.com?mode=insecure', /use mailto:\/\//, 'mail-s3cret'],
    ['mailto://example.com?pass=mail-s3cret&from=k@example.com', /password without a user/, 'mail-s3cret'],
  ]
  for (const [url, reason, secret] of refused) {
    it(`refuses ${JSON.stringify(url.length > 80 ? `${url.slice(0, 80)}…` : url)}`, () => {
      assert.throws(
        () => parseChannelUrl(url),
        (error: unknown) =>
          error instanceof InvalidInputError &&
          error.code === 'invalid_notify_url' &&
          reason.test(error.message) &&
          !error.message.includes('\n') &&
          (secret === undefined || !error.message.includes(secret)) &&
          /mailto:\/\//.test(error.hint ?? ''),
      )
    })
  }

  it('registers the secrets it reads, so that logs mask them', () => {
    parseChannelUrl('slack://T7REGISTER/B7REGISTER/registeredtokenc7')
    parseChannelUrl('gotify://gotify.lan/registered.gotify.token')
    parseChannelUrl('mailtos://kedge:registered-mail-pw@example.com')
    const line = redact('posting to /services/T7REGISTER/B7REGISTER/registeredtokenc7 with registered.gotify.token and registered-mail-pw')
    for (const secret of ['T7REGISTER', 'registeredtokenc7', 'registered.gotify.token', 'registered-mail-pw']) assert.ok(!line.includes(secret), line)
  })
})

describe('displayChannelUrl', () => {
  const shown: Array<[string, string, string[]]> = [
    ['jsons://bot:json-s3cret@hooks.example.com/in', 'jsons://bot:***@hooks.example.com/in', ['json-s3cret']],
    ['json://hooks.example.com:8080', 'json://hooks.example.com:8080/', []],
    ['ntfy://alerts', 'ntfys://ntfy.sh/alerts', []],
    ['ntfys://phil:ntfy-s3cret@ntfy.example.com/deploys', 'ntfys://phil:***@ntfy.example.com/deploys', ['ntfy-s3cret']],
    ['ntfy://tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.lan/deploys', 'ntfy://***@ntfy.lan/deploys', ['tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2']],
    ['slack://kedge@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#deploys', 'slack://kedge@***/***/***/#deploys', ['T1JJ3T3L2', 'A1BRTD4JD', 'TIiajkdnlazkcOXrIdevi7']],
    ['discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5', 'discord://417429632418316298/***', ['JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5']],
    ['gotifys://example.com/push/AbCdEf.123456', 'gotifys://example.com/push/***', ['AbCdEf.123456']],
    ['mailtos://kedge:mail-s3cret@example.com?to=ops@example.com', 'mailtos://kedge:***@example.com:587?from=kedge@example.com&to=ops@example.com', ['mail-s3cret']],
    ['mailto://example.com?user=kedge&pass=mail-s3cret&mode=ssl&smtp=smtp.example.com&from=k@example.com', 'mailtos://kedge:***@smtp.example.com:465?from=k@example.com&to=k@example.com', ['mail-s3cret']],
    ['mailtos://kedge:mail-s3cret@example.com:2465?mode=ssl', 'mailtos://kedge:***@example.com:2465?from=kedge@example.com&to=kedge@example.com&mode=ssl', ['mail-s3cret']],
  ]
  for (const [url, display, secrets] of shown) {
    it(`shows ${url} as ${display}`, () => {
      assert.equal(displayChannelUrl(url), display)
      for (const secret of secrets) assert.ok(!displayChannelUrl(url).includes(secret))
    })
  }

  it('shows a URL that, its secrets filled in, reads as the same channel', () => {
    for (const [, display] of shown) {
      const filled = display.replace('://***@', '://tk_filled@').replaceAll('***', 'filled')
      assert.equal(displayChannelUrl(filled), display)
    }
  })

  it('shows a URL it refuses as its scheme only', () => {
    assert.equal(displayChannelUrl('slack://T1JJ3T3L2/half-a-s3cret'), 'slack://***')
    assert.equal(displayChannelUrl('ftp://user:pw@host/x'), 'ftp://***')
    assert.equal(displayChannelUrl('not a url with s3cret'), '***')
  })

  it("masks a webhook's path but a short first part: receivers take their token in it", () => {
    assert.equal(displayChannelUrl('json://hooks.example/kedge'), 'json://hooks.example/kedge')
    assert.equal(displayChannelUrl('jsons://hooks.example/hooks/4f1d2c3b9a8e7d6c'), 'jsons://hooks.example/hooks/***')
    assert.equal(displayChannelUrl('json://n8n.example/4f1d2c3b-9a8e-7d6c-5b4a'), 'json://n8n.example/***')
  })
})
