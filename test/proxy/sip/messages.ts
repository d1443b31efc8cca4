// SIP messages for the tests: RFC 4475 torture messages (as printed in the RFC, LF turned into
// CRLF) and small builders for REGISTER / INVITE requests and responses.

/** Wire bytes of `text` with every LF made a CRLF (no text here holds a CR of its own). */
export function wire(text: string, encoding: BufferEncoding = 'latin1'): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'), encoding);
}

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** The SDP body RFC 4475 uses again and again (150 bytes with CRLF line ends). */
export const sdp = (ip: string): string =>
  `v=0
o=mhandley 29739 7272939 IN IP4 ${ip}
s=-
c=IN IP4 ${ip}
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`;

/** RFC 4475 §3.1.1.1 `wsinv`: a short tortuous INVITE. */
export const wsinv = wire(
  String.raw`INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

` + sdp('192.0.2.3').replace('c=IN IP4 192.0.2.3', 'c=IN IP4 192.0.2.4'),
);

/** RFC 4475 §3.1.1.3 `esc01`: % escapes in the Request-URI, To, From and Contact. */
export const esc01 = wire(
  `INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: 150

` + sdp('192.0.2.1'),
);

/** RFC 4475 §3.1.1.6 `lwsdisp`: no LWS between display name and `<`. */
export const lwsdisp = wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0

`);

/** RFC 4475 §3.1.1.9 `semiuri`: `;` in a Request-URI user part, a bare addr-spec From. */
export const semiuri = wire(`OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0

`);

/** RFC 4475 §3.1.2.2 (`ncl`): a negative Content-Length. */
export const ncl = wire(
  `INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999

` + sdp('192.0.2.53'),
);

/** RFC 4475 §3.1.2.5 `lwsstart`: two SP between the parts of the Request-Line. */
export const lwsstart = wire(
  `INVITE  sip:user@example.com  SIP/2.0
Max-Forwards: 8
To: sip:user@example.com
From: sip:caller@example.net;tag=8814
Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
CSeq: 1893884 INVITE
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: 150

` + sdp('192.0.2.1'),
);

/** RFC 4475 §3.1.2.9 `mcl01`: two Content-Length values. */
export const mcl01 = wire(`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain

There's no way to know how many octets are supposed to be here.
`);

/** RFC 4475 §3.1.2.15 `unksm2`: From is an http: URI. */
export const unksm2 = wire(`REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0

`);

/** RFC 4475 §3.3.5 `multi01`: two From (and two To, Call-ID, CSeq) with different values. */
export const multi01 = wire(
  `INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: 154
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5

` + sdp('192.0.2.25'),
);

/** RFC 4475 §3.3.14 `badvers`: SIP/7.0. */
export const badvers = wire(`OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0

`);

export interface RequestSpec {
  readonly method?: string;
  readonly from?: string;
  readonly to?: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly extra?: readonly string[];
  readonly body?: string;
}

/** A well-formed request; `from` is the whole From value. */
export function request(spec: RequestSpec = {}): Buffer {
  const method = spec.method ?? 'REGISTER';
  const body = spec.body ?? '';
  return wire(
    [
      `${method} sip:example.com SIP/2.0`,
      'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport;alias',
      'Max-Forwards: 70',
      `From: ${spec.from ?? '"Alice" <sip:alice@example.com>;tag=1928301774'}`,
      `To: ${spec.to ?? '<sip:alice@example.com>'}`,
      `Call-ID: ${spec.callId ?? 'a84b4c76e66710@pc33.example.com'}`,
      `CSeq: ${spec.cseq ?? 1} ${method}`,
      'Contact: <sip:alice@192.0.2.10:5060;transport=tcp;ob>',
      ...(spec.extra ?? []),
      `Content-Length: ${Buffer.byteLength(body.replace(/\n/g, '\r\n'), 'latin1')}`,
      '',
      body,
    ].join('\n'),
  );
}

export interface ResponseSpec {
  readonly status: number;
  readonly reason?: string;
  readonly method?: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly extra?: readonly string[];
  readonly body?: string;
}

export function response(spec: ResponseSpec): Buffer {
  const body = spec.body ?? '';
  return wire(
    [
      `SIP/2.0 ${spec.status} ${spec.reason ?? 'Whatever'}`,
      'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.1',
      'From: "Alice" <sip:alice@example.com>;tag=1928301774',
      'To: <sip:alice@example.com>;tag=37GkEhwl6',
      `Call-ID: ${spec.callId ?? 'a84b4c76e66710@pc33.example.com'}`,
      `CSeq: ${spec.cseq ?? 1} ${spec.method ?? 'REGISTER'}`,
      ...(spec.extra ?? []),
      `Content-Length: ${Buffer.byteLength(body.replace(/\n/g, '\r\n'), 'latin1')}`,
      '',
      body,
    ].join('\n'),
  );
}
