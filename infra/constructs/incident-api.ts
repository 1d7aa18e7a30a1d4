import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * One access log line per request, as JSON. It names the matched route (`$context.routeKey`) and never the
 * raw path or query string: link routes carry signed tokens in the path, and a token in a log is a
 * credential anyone with log access could replay.
 */
export const accessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  authorizerError: '$context.authorizer.error',
  caller: '$context.identity.userArn',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
} as const;

/**
 * Stage-wide limits: high enough that an alert storm is absorbed (duplicates cost one read and one write each;
 * refusing a storm is how the tools this replaces lost alerts), low enough that a runaway sender or a scanner
 * cannot turn into an unbounded Lambda and DynamoDB bill.
 */
export const stageThrottle = { rateLimit: 500, burstLimit: 1000 } as const;

export interface IncidentApiProps {
  readonly ingestAlert: lambda.IFunction;
  readonly listIncidents: lambda.IFunction;
  readonly getIncident: lambda.IFunction;
  readonly declareIncident: lambda.IFunction;
  readonly respondToIncident: lambda.IFunction;
  /** GET (confirm page) and POST (decision) /links/{token}. */
  readonly linkDecision: lambda.IFunction;
  /** GET and POST /links/{token}/edit: the postmortem owner's editor. */
  readonly postmortemEditor: lambda.IFunction;
  /** GET and HEAD /status, /status.json, /status.atom: the public status page. */
  readonly statusPage: lambda.IFunction;
  /** POST, GET, PUT /incidents/{key}/postmortem and GET /postmortems. */
  readonly postmortems: lambda.IFunction;
  /** GET /actions and POST /actions/{id}/complete. */
  readonly actions: lambda.IFunction;
  /** POST /reports/slo and GET /reports/slo/{runId}: the on-demand SLO report. */
  readonly reports: lambda.IFunction;
  /** GET /schedules, GET /schedules/{id}/oncall, GET and POST /schedules/{id}/overrides, DELETE one. */
  readonly schedules: lambda.IFunction;
  /** POST /schedules/{id}/feed (sign a calendar feed link) and GET, HEAD /links/{token}/calendar.ics (the feed). */
  readonly scheduleFeed: lambda.IFunction;
  /** POST and GET /people/{id}/test-page: a test page to a person on each of their channels, and the last one. */
  readonly testPages: lambda.IFunction;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The HTTP API: only the routes that exist, each with the authorization it needs. */
export class IncidentApi extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IncidentApiProps) {
    super(scope, id);
    // No default stage from HttpApi: its default stage takes neither throttling nor access log settings.
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: 'hotline',
      description: 'Hotline incident API',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: stageThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    const lambdaIntegration = (name: string, fn: lambda.IFunction) =>
      new HttpLambdaIntegration(name, fn, { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 });
    const operators = new HttpIamAuthorizer();

    this.publicRoutes(
      {
        path: '/alerts/{source}',
        methods: [apigw.HttpMethod.POST],
        integration: lambdaIntegration('IngestAlertIntegration', props.ingestAlert),
      },
      'Alert senders (Alertmanager, Grafana, ...) cannot sign SigV4 requests; the handler authenticates each request against the per-source credential in Secrets Manager before doing anything.',
    );
    this.httpApi.addRoutes({
      path: '/incidents',
      methods: [apigw.HttpMethod.GET],
      integration: lambdaIntegration('ListIncidentsIntegration', props.listIncidents),
      authorizer: operators,
    });
    this.httpApi.addRoutes({
      path: '/incidents',
      methods: [apigw.HttpMethod.POST],
      integration: lambdaIntegration('DeclareIncidentIntegration', props.declareIncident),
      authorizer: operators,
    });
    this.httpApi.addRoutes({
      path: '/incidents/{key}',
      methods: [apigw.HttpMethod.GET],
      integration: lambdaIntegration('GetIncidentIntegration', props.getIncident),
      authorizer: operators,
    });
    // One function answers the response actions: they share dependencies and stay warm together.
    const postmortems = lambdaIntegration('PostmortemsIntegration', props.postmortems);
    this.httpApi.addRoutes({
      path: '/incidents/{key}/postmortem',
      methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST, apigw.HttpMethod.PUT],
      integration: postmortems,
      authorizer: operators,
    });
    for (const [path, method] of [
      ['/incidents/{key}/postmortem/request-approval', apigw.HttpMethod.POST],
      ['/incidents/{key}/postmortem/approvers', apigw.HttpMethod.POST],
      ['/incidents/{key}/postmortem/editor-link', apigw.HttpMethod.POST],
      ['/incidents/{key}/postmortem/document', apigw.HttpMethod.GET],
    ] as const) {
      this.httpApi.addRoutes({ path, methods: [method], integration: postmortems, authorizer: operators });
    }
    this.httpApi.addRoutes({
      path: '/postmortems',
      methods: [apigw.HttpMethod.GET],
      integration: postmortems,
      authorizer: operators,
    });
    const actions = lambdaIntegration('ActionsIntegration', props.actions);
    for (const [path, method] of [
      ['/actions', apigw.HttpMethod.GET],
      ['/actions/{id}/complete', apigw.HttpMethod.POST],
    ] as const) {
      this.httpApi.addRoutes({ path, methods: [method], integration: actions, authorizer: operators });
    }
    const reports = lambdaIntegration('ReportsIntegration', props.reports);
    for (const [path, method] of [
      ['/reports/slo', apigw.HttpMethod.POST],
      // A long period's run: 202 while it runs, 200 with the report when done.
      ['/reports/slo/{runId}', apigw.HttpMethod.GET],
    ] as const) {
      this.httpApi.addRoutes({ path, methods: [method], integration: reports, authorizer: operators });
    }
    const schedules = lambdaIntegration('OnCallIntegration', props.schedules);
    for (const [path, method] of [
      ['/schedules', apigw.HttpMethod.GET],
      ['/schedules/{id}/oncall', apigw.HttpMethod.GET],
      ['/schedules/{id}/overrides', apigw.HttpMethod.GET],
      ['/schedules/{id}/overrides', apigw.HttpMethod.POST],
      ['/schedules/{id}/overrides/{overrideId}', apigw.HttpMethod.DELETE],
    ] as const) {
      this.httpApi.addRoutes({ path, methods: [method], integration: schedules, authorizer: operators });
    }
    const scheduleFeed = lambdaIntegration('ScheduleFeedIntegration', props.scheduleFeed);
    this.httpApi.addRoutes({
      path: '/schedules/{id}/feed',
      methods: [apigw.HttpMethod.POST],
      integration: scheduleFeed,
      authorizer: operators,
    });
    // Calendar apps subscribe to the feed and cannot sign requests: the signed token is the credential.
    this.publicRoutes(
      {
        path: '/links/{token}/calendar.ics',
        methods: [apigw.HttpMethod.GET, apigw.HttpMethod.HEAD],
        integration: scheduleFeed,
      },
      'The signed token in the path is the credential: the handler verifies its HMAC-SHA256 (key id, expiry, and that it is a calendar feed link) before reading anything, and the route only reads.',
    );
    const testPages = lambdaIntegration('TestPagesIntegration', props.testPages);
    for (const method of [apigw.HttpMethod.POST, apigw.HttpMethod.GET]) {
      this.httpApi.addRoutes({
        path: '/people/{id}/test-page',
        methods: [method],
        integration: testPages,
        authorizer: operators,
      });
    }
    const respond = lambdaIntegration('RespondToIncidentIntegration', props.respondToIncident);
    for (const action of ['acknowledge', 'updates', 'severity', 'roles', 'resolve', 'measures']) {
      this.httpApi.addRoutes({
        path: `/incidents/{key}/${action}`,
        methods: [apigw.HttpMethod.POST],
        integration: respond,
        authorizer: operators,
      });
    }
    // Signed links from emails: people open them in a browser, which cannot sign SigV4 requests.
    this.publicRoutes(
      {
        path: '/links/{token}',
        methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST],
        integration: lambdaIntegration('LinkDecisionIntegration', props.linkDecision),
      },
      'The signed token in the path is the credential: the handler verifies its HMAC-SHA256 (key id, expiry, incident, action and recipient) before reading anything, GET never changes state, and POST uses a link once.',
    );
    // The postmortem owner's editor, a function of its own (the link pages' function redirects editor links here).
    this.publicRoutes(
      {
        path: '/links/{token}/edit',
        methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST],
        integration: lambdaIntegration('PostmortemEditorIntegration', props.postmortemEditor),
      },
      'The signed token in the path is the credential: the handler verifies its HMAC-SHA256 (key id, expiry, incident, and that it is a postmortem editor link) before reading anything, GET never changes state, and each POST saves one version on the version it names.',
    );
    // The status page is public by design: it shows the external wording only, from a projection holding
    // nothing else, and changes nothing (GET and HEAD only; its function may only read the table).
    const status = lambdaIntegration('StatusPageIntegration', props.statusPage);
    for (const path of ['/status', '/status.json', '/status.atom']) {
      this.publicRoutes(
        { path, methods: [apigw.HttpMethod.GET, apigw.HttpMethod.HEAD], integration: status },
        'The external status page is for anyone (customers, feed readers): it shows only the external wording already sent to public lists, read from a public projection, and its function can only read the table.',
      );
    }
  }

  /** Routes without an IAM authorizer, each with cdk-nag's APIG4 acknowledged for `reason` (who calls, what guards it). */
  private publicRoutes(options: apigw.AddRoutesOptions, reason: string): void {
    for (const route of this.httpApi.addRoutes(options))
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  }

  /** The API's base URL, without a trailing slash. */
  get endpoint(): string {
    return this.httpApi.apiEndpoint;
  }
}
