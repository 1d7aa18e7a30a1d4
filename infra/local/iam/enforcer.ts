import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StackModel } from '../template.ts';
import { type Grant, grantsOf, grantsUsedBy, PolicyEvaluator } from './policy.ts';
import { ADMIN_ACCESS_KEY, functionPrincipals, type Principal } from './principals.ts';
import { type Authorization, type AwsCall, accessDeniedMessage, accessDeniedResponse } from './requests.ts';

/**
 * IAM on the local target: every call a function makes to the local endpoints is authorised against its role's
 * policies in the synthesized template, as AWS would, and a denial answers what AWS answers. On by default;
 * `report` logs what would be denied and lets it through (for debugging), and says so at every denial.
 */

export type IamMode = 'enforce' | 'report';

export interface IamOptions {
  mode: IamMode;
  log: (line: string) => void;
  /** Where the usage (every grant, and those a call used) is written, for the unused-grant report. */
  usageFile?: string;
}

/** AWS's answer to a denied request. */
export interface Denied {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface DenialRecord {
  principal: string;
  action: string;
  resource: string;
  reason: 'implicit-deny' | 'explicit-deny' | 'unknown-principal';
  message: string;
}

/** The usage file: per principal, every grant of its policies and the grants calls used. */
export interface UsageFile {
  principals: Record<string, { grants: Grant[]; used: Grant[] }>;
}

const grantKey = (g: Grant) => `${g.policy}#${g.index}\t${g.action}\t${g.resource}`;

export class IamEnforcer {
  readonly principals: Map<string, Principal>;
  private readonly evaluators = new Map<Principal, PolicyEvaluator>();
  /** principal name -> grant key -> grant: what calls used. */
  private readonly used = new Map<string, Map<string, Grant>>();
  /** principal|action|resource already counted in `used` (the evaluator caches the decision itself). */
  private readonly counted = new Set<string>();
  /** principal name -> the distinct authorisations its allowed calls needed. */
  private readonly allowed = new Map<string, Authorization[]>();
  private readonly denials: DenialRecord[] = [];
  private readonly extra: Principal[] = [];
  private writeTimer: NodeJS.Timeout | undefined;

  constructor(
    model: StackModel,
    private readonly options: IamOptions,
  ) {
    this.principals = functionPrincipals(model);
  }

  get mode(): IamMode {
    return this.options.mode;
  }

  /** Adds a principal that is not a function (the state machine's role, the Scheduler's), for the usage report. */
  track(principal: Principal): Principal {
    if (!this.extra.includes(principal)) this.extra.push(principal);
    return principal;
  }

  /**
   * Authorises a call made with `accessKeyId`: undefined when it may go on, AWS's AccessDenied answer when not.
   * The administrator's key is not checked; an unknown key is refused.
   */
  check(accessKeyId: string | undefined, call: AwsCall): Denied | undefined {
    if (accessKeyId === ADMIN_ACCESS_KEY) return undefined;
    const principal = accessKeyId ? this.principals.get(accessKeyId) : undefined;
    if (!principal) {
      const first = call.authorizations[0] ?? { action: `${call.service}:${call.operation}`, resource: '*' };
      const message = `The security token included in the request is invalid: access key ${accessKeyId ?? '(none)'} is neither a function's (local-<FunctionId>) nor the administrator's (local)`;
      return this.deny(
        { principal: accessKeyId ?? '(none)', ...first, reason: 'unknown-principal', message },
        call,
      );
    }
    const refused = this.authorize(principal, call.authorizations);
    return refused ? this.deny(refused, call) : undefined;
  }

  /**
   * Authorises each authorisation for a principal (a function, or a service role acting for the stack): the
   * first refused one, or undefined when all are allowed. Allowed calls count towards the usage report.
   */
  authorize(principal: Principal, authorizations: readonly Authorization[]): DenialRecord | undefined {
    let evaluator = this.evaluators.get(principal);
    if (!evaluator) {
      evaluator = new PolicyEvaluator(principal.policies);
      this.evaluators.set(principal, evaluator);
    }
    for (const authorization of authorizations) {
      const decision = evaluator.evaluate(authorization);
      if (!decision.allowed) {
        return {
          principal: principal.name,
          action: authorization.action,
          resource: authorization.resource,
          reason: decision.reason,
          message: accessDeniedMessage(principal.arn, authorization, decision.reason),
        };
      }
      this.count(principal, authorization);
    }
    return undefined;
  }

  /** Logs a refusal; in report mode lets it through. */
  refuse(record: DenialRecord): boolean {
    this.denials.push(record);
    const what = `${record.principal} ${record.action} on ${record.resource} (${record.reason})`;
    if (this.options.mode === 'report') {
      this.options.log(`[iam] WOULD DENY (report only, HOTLINE_IAM=report): ${what}`);
      return false;
    }
    this.options.log(`[iam] denied ${what}`);
    return true;
  }

  /** Per principal, the distinct authorisations (action on resource) its allowed calls needed. */
  allowedCalls(): ReadonlyMap<string, readonly Authorization[]> {
    return this.allowed;
  }

  /** The principals: the functions, and the service roles seen acting. */
  allPrincipals(): Principal[] {
    return [...this.principals.values(), ...this.extra];
  }

  /** Every refusal so far (also those let through in report mode). */
  deniedCalls(): readonly DenialRecord[] {
    return this.denials;
  }

  /** Per principal, every grant of its policies and the ones calls used. */
  usage(): UsageFile {
    const principals: UsageFile['principals'] = {};
    for (const principal of [...this.principals.values(), ...this.extra]) {
      principals[principal.name] = {
        grants: grantsOf(principal.policies),
        used: [...(this.used.get(principal.name)?.values() ?? [])],
      };
    }
    return { principals };
  }

  /** Writes the usage file now (also done shortly after each new use, and at stop). */
  flush(): void {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    const file = this.options.usageFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(this.usage())}\n`);
  }

  private deny(record: DenialRecord, call: AwsCall): Denied | undefined {
    if (!this.refuse(record)) return undefined;
    return accessDeniedResponse(call.service, record.message, { protocol: call.protocol });
  }

  private count(principal: Principal, authorization: Authorization): void {
    const key = `${principal.name}\t${authorization.action}\t${authorization.resource}`;
    if (this.counted.has(key)) return;
    this.counted.add(key);
    const calls = this.allowed.get(principal.name) ?? [];
    calls.push({ action: authorization.action, resource: authorization.resource });
    this.allowed.set(principal.name, calls);
    let grants = this.used.get(principal.name);
    if (!grants) {
      grants = new Map();
      this.used.set(principal.name, grants);
    }
    for (const grant of grantsUsedBy(principal.policies, authorization)) grants.set(grantKey(grant), grant);
    if (this.options.usageFile && !this.writeTimer) {
      this.writeTimer = setTimeout(() => this.flush(), 1_000);
      this.writeTimer.unref();
    }
  }
}

/** The grants of each principal no call used, from one or more usage files (several runs, a test suite). */
export function unusedGrants(files: readonly UsageFile[]): Record<string, Grant[]> {
  const grants = new Map<string, Map<string, Grant>>();
  const used = new Map<string, Set<string>>();
  for (const file of files) {
    for (const [name, usage] of Object.entries(file.principals)) {
      const all = grants.get(name) ?? new Map<string, Grant>();
      for (const grant of usage.grants) all.set(grantKey(grant), grant);
      grants.set(name, all);
      const seen = used.get(name) ?? new Set<string>();
      for (const grant of usage.used) seen.add(grantKey(grant));
      used.set(name, seen);
    }
  }
  const unused: Record<string, Grant[]> = {};
  for (const [name, all] of grants) {
    const seen = used.get(name) ?? new Set<string>();
    unused[name] = [...all.entries()].filter(([key]) => !seen.has(key)).map(([, grant]) => grant);
  }
  return unused;
}
