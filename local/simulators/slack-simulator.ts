import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A Slack Web API simulator for the embedded target and for tests: the
 * methods Firebreak calls, served on loopback under `/api/<method>`, with
 * Slack's semantics — every answer is HTTP 200 with `{ok: true, ...}` or
 * `{ok: false, error}`, rate limits are HTTP 429 with `Retry-After`, bodies
 * are form-encoded (as `@slack/web-api` sends them; JSON-valued arguments such
 * as `blocks` arrive as JSON strings) or JSON, and the token comes from
 * `Authorization: Bearer` or a `token` parameter.
 *
 * Faults are injected per request, in order, and every call is recorded (the
 * token redacted) for `GET /simulators/slack` and for tests.
 */

/** A user of the simulated workspace. */
export interface SimulatedUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
}

/** A user group of the simulated workspace (`S…`), as `usergroups.users.list` lists it. */
export interface SimulatedUserGroup {
  readonly id: string;
  /** Member user ids, in the order they are listed. */
  readonly users: readonly string[];
}

/** Options of {@link startSlackSimulator}. */
export interface SlackSimulatorOptions {
  /** Users `users.lookupByEmail` and `conversations.invite` know. */
  readonly users?: readonly SimulatedUser[];
  /**
   * User groups `usergroups.users.list` knows (all enabled); any other id is
   * `no_such_subteam`. Members need not be among `users`.
   */
  readonly userGroups?: readonly SimulatedUserGroup[];
  /** The bot's own user id (`auth.test`; creator and first member of every channel). @default 'U0FIREBREAK' */
  readonly botUserId?: string;
  /** The only token accepted; when unset any non-empty token is. */
  readonly token?: string;
}

/**
 * One injected fault, consumed by one request. Applied in this order: wait
 * `delayMs` (a client that gives up meanwhile gets nothing, and the request is
 * recorded with `status: 0` and not applied); then answer HTTP `status` (429
 * with a `Retry-After: retryAfter` header when given, and Slack's
 * `{ok:false,error:'ratelimited'}` body); or answer `{ok:false, error: okFalse}`;
 * or, with neither, handle the request normally.
 */
export interface SlackFault {
  readonly status?: number;
  /** Seconds, sent as `Retry-After` (with a 429). */
  readonly retryAfter?: number;
  readonly delayMs?: number;
  /** A Slack error code, answered as HTTP 200 `{ok:false, error}`. */
  readonly okFalse?: string;
}

/** One recorded Web API call. */
export interface SlackCall {
  /** ISO time the request arrived. */
  readonly at: string;
  /** Web API method, e.g. `chat.postMessage`. */
  readonly method: string;
  /** Arguments as received: form and query values are strings; `token` is redacted. */
  readonly params: Readonly<Record<string, unknown>>;
  /** How the token came: `Authorization` header, `token` parameter, or not at all. */
  readonly auth: 'bearer' | 'param' | 'none';
  readonly httpMethod: string;
  readonly contentType: string;
  /** HTTP status answered (0: the client gave up before the answer). */
  readonly status: number;
  /** `ok` of the answer (false for HTTP errors too). */
  readonly ok: boolean;
  /** Slack's `error` code when the answer was `ok:false`. */
  readonly error?: string;
  /** True when an injected fault shaped the answer. */
  readonly injected?: boolean;
}

/** A simulated channel. */
export interface SimulatedChannel {
  readonly id: string;
  readonly name: string;
  readonly isPrivate: boolean;
  readonly created: number;
  readonly creator: string;
  readonly topic: string;
  readonly members: readonly string[];
  /** `ts` of pinned messages. */
  readonly pins: readonly string[];
}

/** A simulated message (thread replies included, with `threadTs`). */
export interface SimulatedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs?: string;
  readonly user: string;
  readonly text?: string;
  readonly blocks?: unknown[];
  /** Ephemeral messages are visible to `visibleTo` only. */
  readonly ephemeral?: boolean;
  readonly visibleTo?: string;
  readonly edited?: boolean;
}

/** A running simulator. */
export interface SlackSimulator {
  /** The `slackApiUrl` to configure: `http://127.0.0.1:<port>/api/`. */
  readonly url: string;
  /** Queues faults; with `method`, only requests to that method consume them. */
  injectFaults(faults: readonly SlackFault[], options?: { readonly method?: string }): void;
  /** Every call so far, in arrival order. */
  calls(): SlackCall[];
  channels(): SimulatedChannel[];
  /** Messages of a channel (top level and thread replies), oldest first. */
  messages(channelId: string): SimulatedMessage[];
  /** Forgets calls, channels, messages and queued faults (users and user groups stay). */
  reset(): void;
  close(): Promise<void>;
}

interface ChannelState {
  id: string;
  name: string;
  isPrivate: boolean;
  created: number;
  creator: string;
  topic: { value: string; creator: string; last_set: number };
  members: Set<string>;
  pins: Set<string>;
}

interface MessageState {
  channel: string;
  ts: string;
  threadTs?: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  ephemeral?: boolean;
  visibleTo?: string;
  edited?: boolean;
}

interface QueuedFault {
  readonly fault: SlackFault;
  readonly method?: string;
}

type Params = Record<string, unknown>;

/** What a method handler answers: the body fields after `ok`, or a Slack error. */
type Answer = { readonly ok: true; readonly body: Params } | { readonly ok: false; readonly error: string; readonly extra?: Params };

class SlackError {
  constructor(
    readonly error: string,
    readonly extra?: Params,
  ) {}
}

const TEAM_ID = 'T0FIREBREAK';
const BOT_ID = 'B0FIREBREAK';
const MAX_BODY_BYTES = 1_000_000;
const MAX_TEXT = 40_000;
const MAX_TOPIC = 250;

/**
 * Starts the simulator on `127.0.0.1` on a free port.
 *
 * @example
 * const slack = await startSlackSimulator({ users: [{ id: 'U01ALICE', email: 'alice@example.com', name: 'alice' }] });
 * const channel = new SlackIncidentChannel({ token: 'xoxb-test', slackApiUrl: slack.url });
 * slack.injectFaults([{ status: 429, retryAfter: 1 }], { method: 'chat.postMessage' });
 * // ...
 * await slack.close();
 */
export async function startSlackSimulator(options: SlackSimulatorOptions = {}): Promise<SlackSimulator> {
  const sim = new Simulation(options);
  const server = createServer((req, res) => {
    sim.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`simulator error: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return sim.facade(server, `http://127.0.0.1:${port}/api/`);
}

class Simulation {
  private readonly users: readonly SimulatedUser[];
  private readonly userGroups: ReadonlyMap<string, readonly string[]>;
  private readonly botUserId: string;
  private readonly token?: string;
  private recorded: SlackCall[] = [];
  private channelsById = new Map<string, ChannelState>();
  private messageList: MessageState[] = [];
  private faults: QueuedFault[] = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private sequence = 0;
  private tsCounter = 0;

  constructor(options: SlackSimulatorOptions) {
    this.users = options.users ?? [];
    this.userGroups = new Map((options.userGroups ?? []).map((g) => [g.id, [...g.users]]));
    this.botUserId = options.botUserId ?? 'U0FIREBREAK';
    this.token = options.token;
  }

  facade(server: Server, url: string): SlackSimulator {
    return {
      url,
      injectFaults: (faults, opts) => {
        for (const fault of faults) this.faults.push({ fault, method: opts?.method });
      },
      calls: () => this.recorded.map((c) => ({ ...c, params: { ...c.params } })),
      channels: () => [...this.channelsById.values()].map((c) => this.channelView(c)),
      messages: (channelId) => this.messageList.filter((m) => m.channel === channelId).map((m) => ({ ...m })),
      reset: () => {
        this.recorded = [];
        this.channelsById = new Map();
        this.messageList = [];
        this.faults = [];
      },
      close: async () => {
        for (const pending of this.timers) {
          clearTimeout(pending.timer);
          pending.resolve();
        }
        this.timers.clear();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date().toISOString();
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });

    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (match === null) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: Slack Web API methods are served under /api/<method>');
      return;
    }
    const method = match[1] ?? '';
    const httpMethod = req.method ?? 'GET';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const raw = await readBody(req);

    const parsed = parseParams(httpMethod, contentType, url.searchParams, raw);
    const params = parsed.params;
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    // JSON bodies carry the token in the Authorization header only, as on Slack.
    const paramToken = contentType === 'application/json' ? undefined : asString(params['token']);
    const auth: SlackCall['auth'] = bearer !== undefined ? 'bearer' : paramToken !== undefined ? 'param' : 'none';
    const recordedParams: Params = { ...params };
    if ('token' in recordedParams) recordedParams['token'] = '[redacted]';
    const record = (status: number, ok: boolean, error?: string, injected?: boolean): void => {
      this.recorded.push({ at, method, params: recordedParams, auth, httpMethod, contentType, status, ok, ...(error === undefined ? {} : { error }), ...(injected ? { injected } : {}) });
    };

    const fault = this.takeFault(method);
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      await this.sleep(fault.delayMs);
      if (clientGone || res.destroyed) {
        record(0, false, undefined, true);
        return;
      }
    }
    if (fault?.status !== undefined && fault.status !== 200) {
      const headers: Record<string, string> = {};
      let body = `${fault.status} simulated HTTP error`;
      if (fault.status === 429) {
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        headers['content-type'] = 'application/json; charset=utf-8';
        body = JSON.stringify({ ok: false, error: 'ratelimited' });
      } else {
        headers['content-type'] = 'text/plain';
      }
      res.writeHead(fault.status, headers);
      res.end(body);
      record(fault.status, false, fault.status === 429 ? 'ratelimited' : undefined, true);
      return;
    }
    if (fault?.okFalse !== undefined) {
      sendJson(res, { ok: false, error: fault.okFalse });
      record(200, false, fault.okFalse, true);
      return;
    }

    const answer = this.answer(method, httpMethod, parsed.error, bearer ?? paramToken, params);
    const delayed = fault !== undefined;
    if (answer.ok) {
      sendJson(res, { ok: true, ...answer.body });
      record(200, true, undefined, delayed);
    } else {
      sendJson(res, { ok: false, error: answer.error, ...(answer.extra ?? {}) });
      record(200, false, answer.error, delayed);
    }
  }

  private answer(method: string, httpMethod: string, parseError: string | undefined, token: string | undefined, params: Params): Answer {
    if (httpMethod !== 'GET' && httpMethod !== 'POST') return { ok: false, error: 'invalid_post_type' };
    if (parseError !== undefined) return { ok: false, error: parseError };
    const handler = this.handlers[method];
    if (handler === undefined) return { ok: false, error: 'unknown_method' };
    if (token === undefined || token === '') return { ok: false, error: 'not_authed' };
    if (this.token !== undefined && token !== this.token) return { ok: false, error: 'invalid_auth' };
    try {
      return { ok: true, body: handler(params) };
    } catch (error) {
      if (error instanceof SlackError) return { ok: false, error: error.error, extra: error.extra };
      throw error;
    }
  }

  private readonly handlers: Record<string, (p: Params) => Params> = {
    'auth.test': () => ({
      url: 'https://firebreak-simulator.slack.com/',
      team: 'Firebreak Simulator',
      user: 'firebreak',
      team_id: TEAM_ID,
      user_id: this.botUserId,
      bot_id: BOT_ID,
      is_enterprise_install: false,
    }),

    'conversations.create': (p) => {
      const name = asString(p['name']) ?? '';
      validateChannelName(name);
      if ([...this.channelsById.values()].some((c) => c.name === name)) throw new SlackError('name_taken');
      const channel: ChannelState = {
        id: this.nextId('C'),
        name,
        isPrivate: asBoolean(p['is_private']),
        created: Math.floor(Date.now() / 1000),
        creator: this.botUserId,
        topic: { value: '', creator: '', last_set: 0 },
        members: new Set([this.botUserId]),
        pins: new Set(),
      };
      this.channelsById.set(channel.id, channel);
      return { channel: this.channelObject(channel) };
    },

    'conversations.setTopic': (p) => {
      const channel = this.memberChannel(p);
      const topic = asString(p['topic']) ?? '';
      if ([...topic].length > MAX_TOPIC) throw new SlackError('too_long');
      channel.topic = { value: topic, creator: this.botUserId, last_set: Math.floor(Date.now() / 1000) };
      return { channel: this.channelObject(channel) };
    },

    'conversations.invite': (p) => {
      const channel = this.memberChannel(p);
      // Form bodies send a comma-separated string; JSON bodies may send an array.
      const raw = p['users'];
      const users = (Array.isArray(raw) ? raw.map((u) => String(u)) : (asString(raw) ?? '').split(','))
        .map((u) => u.trim())
        .filter((u) => u !== '');
      if (users.length === 0) throw new SlackError('no_user');
      if (users.length > 1000) throw new SlackError('too_many_users');
      const errors = users
        .map((user) => ({ user, error: this.inviteError(channel, user) }))
        .filter((e): e is { user: string; error: string } => e.error !== undefined)
        .map((e) => ({ user: e.user, ok: false, error: e.error }));
      // As on Slack: when any invite fails, nobody is invited.
      if (errors.length > 0) throw new SlackError(errors[0]?.error ?? 'cant_invite', { errors });
      for (const user of users) channel.members.add(user);
      return { channel: this.channelObject(channel) };
    },

    'conversations.join': (p) => {
      const channel = this.channel(p);
      const already = channel.members.has(this.botUserId);
      channel.members.add(this.botUserId);
      return { channel: this.channelObject(channel), ...(already ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}) };
    },

    'chat.postMessage': (p) => {
      const channel = this.memberChannel(p);
      const content = messageContent(p);
      const threadTs = asString(p['thread_ts']);
      const message: MessageState = { channel: channel.id, ts: this.nextTs(), user: this.botUserId, ...content, ...(threadTs === undefined ? {} : { threadTs }) };
      this.messageList.push(message);
      return { channel: channel.id, ts: message.ts, message: this.messageObject(message) };
    },

    'chat.update': (p) => {
      const channel = this.channel(p);
      const ts = asString(p['ts']);
      const message = this.messageList.find((m) => m.channel === channel.id && m.ts === ts && m.ephemeral !== true);
      if (ts === undefined || message === undefined) throw new SlackError('message_not_found');
      if (message.user !== this.botUserId) throw new SlackError('cant_update_message');
      const content = messageContent(p);
      message.text = content.text;
      message.blocks = content.blocks;
      message.edited = true;
      return { channel: channel.id, ts: message.ts, text: message.text ?? '', message: this.messageObject(message) };
    },

    'chat.postEphemeral': (p) => {
      const channel = this.memberChannel(p);
      const user = asString(p['user']);
      if (user === undefined || !channel.members.has(user)) throw new SlackError('user_not_in_channel');
      const content = messageContent(p);
      const threadTs = asString(p['thread_ts']);
      const message: MessageState = { channel: channel.id, ts: this.nextTs(), user: this.botUserId, ...content, ephemeral: true, visibleTo: user, ...(threadTs === undefined ? {} : { threadTs }) };
      this.messageList.push(message);
      return { message_ts: message.ts };
    },

    'pins.add': (p) => {
      const channel = this.channel(p);
      const ts = asString(p['timestamp']);
      if (ts === undefined) throw new SlackError('no_item_specified');
      if (!/^\d+\.\d+$/.test(ts)) throw new SlackError('bad_timestamp');
      const message = this.messageList.find((m) => m.channel === channel.id && m.ts === ts && m.ephemeral !== true);
      if (message === undefined) throw new SlackError('message_not_found');
      if (channel.pins.has(ts)) throw new SlackError('already_pinned');
      channel.pins.add(ts);
      return {};
    },

    'users.lookupByEmail': (p) => {
      const email = (asString(p['email']) ?? '').trim().toLowerCase();
      const user = this.users.find((u) => u.email.toLowerCase() === email);
      if (user === undefined) throw new SlackError('users_not_found');
      return { user: userObject(user) };
    },

    // https://api.slack.com/methods/usergroups.users.list (not in the 2021 OpenAPI subset of the shared
    // fixtures): `usergroup` required, `include_disabled` and `team_id` optional; answers `users`, an
    // array of user ids; an unknown group is `no_such_subteam`. Simulated groups are all enabled, so
    // `include_disabled` changes nothing; a missing `usergroup` names no group and gets the same error.
    'usergroups.users.list': (p) => {
      const members = this.userGroups.get(asString(p['usergroup']) ?? '');
      if (members === undefined) throw new SlackError('no_such_subteam');
      return { users: [...members] };
    },
  };

  private inviteError(channel: ChannelState, user: string): string | undefined {
    if (user === this.botUserId) return 'cant_invite_self';
    if (!this.users.some((u) => u.id === user)) return 'user_not_found';
    if (channel.members.has(user)) return 'already_in_channel';
    return undefined;
  }

  private channel(p: Params): ChannelState {
    const id = asString(p['channel']);
    const channel = id === undefined ? undefined : this.channelsById.get(id);
    if (channel === undefined) throw new SlackError('channel_not_found');
    return channel;
  }

  /** The channel, which the bot must be a member of. */
  private memberChannel(p: Params): ChannelState {
    const channel = this.channel(p);
    if (!channel.members.has(this.botUserId)) throw new SlackError('not_in_channel');
    return channel;
  }

  private takeFault(method: string): SlackFault | undefined {
    const index = this.faults.findIndex((f) => f.method === undefined || f.method === method);
    if (index < 0) return undefined;
    const [queued] = this.faults.splice(index, 1);
    return queued?.fault;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        resolve,
        timer: setTimeout(() => {
          this.timers.delete(pending);
          resolve();
        }, ms),
      };
      this.timers.add(pending);
    });
  }

  /** Slack-like ids: `C` + 10 upper-case alphanumerics. */
  private nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}0SIM${this.sequence.toString(36).toUpperCase().padStart(6, '0')}`;
  }

  /** Message timestamps: `"1700000000.000100"`, `"1700000000.000200"`… unique and increasing. */
  private nextTs(): string {
    this.tsCounter += 1;
    const micros = 1_700_000_000_000_000 + this.tsCounter * 100;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private channelObject(c: ChannelState): Params {
    return {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: !c.isPrivate,
      is_group: c.isPrivate,
      is_im: false,
      is_mpim: false,
      is_private: c.isPrivate,
      is_archived: false,
      is_general: false,
      is_shared: false,
      is_ext_shared: false,
      is_org_shared: false,
      is_pending_ext_shared: false,
      is_member: c.members.has(this.botUserId),
      created: c.created,
      creator: c.creator,
      unlinked: 0,
      last_read: '0000000000.000000',
      topic: { ...c.topic },
      purpose: { value: '', creator: '', last_set: 0 },
      previous_names: [],
      pending_shared: [],
      priority: 0,
      num_members: c.members.size,
    };
  }

  private channelView(c: ChannelState): SimulatedChannel {
    return { id: c.id, name: c.name, isPrivate: c.isPrivate, created: c.created, creator: c.creator, topic: c.topic.value, members: [...c.members], pins: [...c.pins] };
  }

  private messageObject(m: MessageState): Params {
    return {
      type: 'message',
      user: m.user,
      bot_id: BOT_ID,
      team: TEAM_ID,
      ts: m.ts,
      text: m.text ?? '',
      ...(m.blocks === undefined ? {} : { blocks: m.blocks }),
      ...(m.threadTs === undefined ? {} : { thread_ts: m.threadTs }),
      ...(m.edited ? { edited: { user: m.user, ts: this.nextTs() } } : {}),
    };
  }
}

/** Slack's channel-name rules (conversations.create): lower case letters, digits, `-` and `_`, at most 80 characters. */
function validateChannelName(name: string): void {
  if (name.trim() === '') throw new SlackError('invalid_name_required');
  if ([...name].length > 80) throw new SlackError('invalid_name_maxlength');
  if (/^[-_]+$/.test(name)) throw new SlackError('invalid_name_punctuation');
  if (!/^[a-z0-9_-]+$/.test(name)) throw new SlackError('invalid_name_specials');
}

/** `text` and/or `blocks` of a message (`no_text` without either; `invalid_blocks` when blocks are not Block Kit). */
function messageContent(p: Params): { text?: string; blocks?: unknown[] } {
  const text = asString(p['text']);
  const rawBlocks = p['blocks'];
  let blocks: unknown[] | undefined;
  if (rawBlocks !== undefined && rawBlocks !== '') {
    const value = typeof rawBlocks === 'string' ? parseJson(rawBlocks) : rawBlocks;
    if (!Array.isArray(value)) throw new SlackError('invalid_blocks');
    const problem = blockProblem(value);
    if (problem !== undefined) throw new SlackError('invalid_blocks', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
    blocks = value;
  }
  const hasAttachments = p['attachments'] !== undefined && p['attachments'] !== '';
  if ((text === undefined || text === '') && (blocks === undefined || blocks.length === 0) && !hasAttachments) throw new SlackError('no_text');
  if (text !== undefined && text.length > MAX_TEXT) throw new SlackError('msg_too_long');
  return { ...(text === undefined ? {} : { text }), ...(blocks === undefined ? {} : { blocks }) };
}

/** Checks the Block Kit limits Firebreak's messages could break; the first problem found, or undefined. */
function blockProblem(blocks: unknown[]): string | undefined {
  if (blocks.length > 50) return 'no more than 50 items allowed [json-pointer:/blocks]';
  for (const [i, block] of blocks.entries()) {
    const at = `[json-pointer:/blocks/${i}]`;
    if (!isRecord(block) || typeof block['type'] !== 'string') return `must provide an object with a type ${at}`;
    switch (block['type']) {
      case 'header':
        if (textLength(block['text'], 'plain_text') === undefined) return `must be a plain_text object ${at}/text`;
        if ((textLength(block['text'], 'plain_text') ?? 0) > 150) return `must be less than 151 characters ${at}/text/text`;
        break;
      case 'section': {
        const fields = block['fields'];
        if (block['text'] === undefined && fields === undefined) return `must provide text or fields ${at}`;
        if (block['text'] !== undefined && (textLength(block['text']) ?? 3001) > 3000) return `text must be 1 to 3000 characters ${at}/text`;
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length > 10) return `fields: no more than 10 items allowed ${at}/fields`;
          if (fields.some((f) => (textLength(f) ?? 2001) > 2000)) return `fields: each text must be 1 to 2000 characters ${at}/fields`;
        }
        break;
      }
      case 'actions': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return `elements: 1 to 25 items ${at}/elements`;
        const ids = new Set<string>();
        for (const [j, element] of elements.entries()) {
          const el = `${at}/elements/${j}`;
          if (!isRecord(element) || typeof element['type'] !== 'string') return `must provide an object with a type ${el}`;
          if (element['type'] !== 'button') continue;
          if ((textLength(element['text'], 'plain_text') ?? 76) > 75) return `button text must be plain_text of 1 to 75 characters ${el}/text`;
          const actionId = element['action_id'];
          if (actionId !== undefined && (typeof actionId !== 'string' || actionId.length > 255)) return `action_id must be at most 255 characters ${el}`;
          if (typeof actionId === 'string') {
            if (ids.has(actionId)) return `action_id must be unique in the block ${el}`;
            ids.add(actionId);
          }
          if (element['value'] !== undefined && (typeof element['value'] !== 'string' || element['value'].length > 2000)) return `value must be at most 2000 characters ${el}`;
          if (element['style'] !== undefined && element['style'] !== 'primary' && element['style'] !== 'danger') return `style must be primary or danger ${el}`;
        }
        break;
      }
      case 'context': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) return `elements: 1 to 10 items ${at}/elements`;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** Length of a text object's `text` (of the given type, when given); undefined when it is not one. */
function textLength(value: unknown, type?: 'plain_text' | 'mrkdwn'): number | undefined {
  if (!isRecord(value) || typeof value['text'] !== 'string' || value['text'].length === 0) return undefined;
  if (value['type'] !== 'plain_text' && value['type'] !== 'mrkdwn') return undefined;
  if (type !== undefined && value['type'] !== type) return undefined;
  return [...value['text']].length;
}

function userObject(user: SimulatedUser): Params {
  return {
    id: user.id,
    team_id: TEAM_ID,
    name: user.name,
    deleted: false,
    real_name: user.name,
    tz: 'Etc/UTC',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: false,
    is_app_user: false,
    updated: 1_700_000_000,
    profile: {
      email: user.email,
      real_name: user.name,
      real_name_normalized: user.name,
      display_name: user.name,
      display_name_normalized: user.name,
      avatar_hash: 'g000000000000',
      title: '',
      phone: '',
      skype: '',
      status_text: '',
      status_emoji: '',
      fields: null,
      team: TEAM_ID,
    },
  };
}

/** Query parameters merged with the body: form-encoded or JSON (an object); JSON errors as Slack names them. */
function parseParams(httpMethod: string, contentType: string, query: URLSearchParams, raw: string): { params: Params; error?: string } {
  const params: Params = Object.fromEntries(query.entries());
  if (httpMethod !== 'POST' || raw === '') return { params };
  if (contentType === 'application/json') {
    const value = parseJson(raw);
    if (value === undefined) return { params, error: 'invalid_json' };
    if (!isRecord(value)) return { params, error: 'json_not_object' };
    return { params: { ...params, ...value } };
  }
  if (contentType === 'application/x-www-form-urlencoded' || contentType === '' || contentType === 'text/plain') {
    return { params: { ...params, ...Object.fromEntries(new URLSearchParams(raw).entries()) } };
  }
  return { params, error: 'invalid_post_type' };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, body: Params): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function asBoolean(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
