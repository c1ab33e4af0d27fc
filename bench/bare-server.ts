import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { TaskState, type AgentCard, type Message } from '@a2a-js/sdk';
import {
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { UserBuilder, jsonRpcHandler } from '@a2a-js/sdk/server/express';
import { artifactEvent, dataPart, statusEvent, taskEvent, textPart } from '../src/a2a/events.js';
import type { RunningTarget } from './target.js';

const JSONRPC_PATH = '/a2a/jsonrpc';

/**
 * Starts the baseline: the echo skill on the bare `@a2a-js/sdk` server, with an in-memory task
 * store and NO authentication at all, on 127.0.0.1 and a free port. Its executor publishes the
 * events Warden's does (task, working, artifact, completed), built by the same helpers, so the
 * two servers differ only in what Warden adds around the SDK. Never expose it beyond loopback.
 */
export async function startBareServer(): Promise<RunningTarget> {
  const server = createServer();
  const port = await listenOnFreePort(server);
  const url = `http://127.0.0.1:${port}${JSONRPC_PATH}`;

  const requestHandler = new DefaultRequestHandler(
    bareCard(url),
    new InMemoryTaskStore(),
    echoExecutor,
  );
  const app = express();
  app.use(
    JSONRPC_PATH,
    jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }),
  );
  server.on('request', app);

  const target = {
    name: 'bare',
    url,
    bearerTokens: [],
    echoTexts: 'unique',
    secured: false,
    guarded: false,
  } as const;
  return { target, close: () => closeServer(server) };
}

const echoExecutor: AgentExecutor = {
  async execute(rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const text = echoTextOf(rc.userMessage);

    bus.publish(taskEvent(rc));
    bus.publish(statusEvent(rc, TaskState.TASK_STATE_WORKING));
    bus.publish(artifactEvent(rc, 'echo', [textPart(text), dataPart({ echo: text })]));
    bus.publish(statusEvent(rc, TaskState.TASK_STATE_COMPLETED, text));
    bus.finished();
  },

  // Every task completes within `execute`; there is never one running to cancel.
  cancelTask: async () => {},
};

function echoTextOf(message: Message): string {
  for (const part of message.parts) {
    if (part.content?.$case !== 'data') continue;

    const value: unknown = part.content.value;
    const text = typeof value === 'object' && value !== null ? Reflect.get(value, 'text') : '';
    if (typeof text === 'string') return text;
  }
  return '';
}

// The SDK checks each request's `A2A-Version` against the card's interfaces, so it must say 1.0.
function bareCard(url: string): AgentCard {
  return {
    name: 'Bare Echo Agent',
    description: 'The echo skill on the bare A2A SDK, without security: the benchmark baseline.',
    supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: [
      {
        id: 'echo',
        name: 'Echo',
        description: 'Returns the text it is sent, as text and as data.',
        tags: ['echo', 'benchmark'],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
}

function listenOnFreePort(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));

    // autocannon's keep-alive sockets would otherwise hold `close` open until they time out.
    server.closeAllConnections();
  });
}
