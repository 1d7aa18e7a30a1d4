import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailerPort } from '../../../functions/adapters/mailer.ts';
import { storesPort } from '../../../functions/adapters/stores.ts';
import { workflowStarterPort } from '../../../functions/adapters/workflow.ts';
import {
  declarationProblems,
  functionDeclarations,
  functionIds,
  linkedTo,
  UndeclaredCapabilityError,
} from '../../../functions/handlers/capabilities.ts';

const root = join(import.meta.dirname, '../../..');

describe('capabilities declared once', () => {
  it('builds the port of a declared capability, once, on first use', () => {
    const stores = linkedTo('GetIncident')(storesPort);
    process.env.TABLE_NAME = 'capabilities-test';
    expect(stores()).toBe(stores());
  });

  it('refuses, when the module links it, a port whose capability the function does not declare', () => {
    // The types refuse it too; the cast stands for a handler that got past them.
    expect(() => linkedTo('StatusPage')(mailerPort as never)).toThrow(UndeclaredCapabilityError);
    expect(() => linkedTo('ListIncidents')(workflowStarterPort as never)).toThrow(
      'ListIncidents uses "workflow:start" but does not declare it in functions/handlers/capabilities.ts',
    );
  });

  it('loads every handler module: none links a port it does not declare', async () => {
    for (const id of functionIds) {
      const file = join(root, 'functions/handlers', `${functionDeclarations[id].handlerFile}.ts`);
      const handler = (await import(file)) as { handler?: unknown };
      expect(typeof handler.handler, id).toBe('function');
    }
  });

  it('holds together: every mailing function links pages, every table user reads', () => {
    expect(declarationProblems()).toEqual([]);
  });

  it('is the only way handlers reach AWS: no handler builds an SDK client or an adapter by hand', () => {
    const handlers = readdirSync(join(root, 'functions/handlers')).filter((f) => f.endsWith('.ts'));
    for (const file of handlers) {
      const text = readFileSync(join(root, 'functions/handlers', file), 'utf8');
      expect(text, file).not.toMatch(/from '@aws-sdk\//);
      expect(text, file).not.toMatch(/\b(tableStores|sesMailer|sesAttachmentMailer|stepFunctions\w+)\(/);
    }
  });

  it('keeps the use cases off the adapters: they see the ports only', () => {
    const dir = join(root, 'functions/use-cases');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/from '\.\.\/adapters\//);
    }
  });
});
