import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageThrottle } from '../../infra/constructs/incident-api.ts';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { arnOf, logicalId, synthesized } from './stack.ts';

describe('HTTP API', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  const routes = () =>
    Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
  const integrationOf = (routeKey: string) => {
    const target = routes().find((r) => r.RouteKey === routeKey)?.Target as {
      'Fn::Join': [string, unknown[]];
    };
    const integration = target['Fn::Join'][1].find((part) => typeof part === 'object') as { Ref: string };
    return template.findResources('AWS::ApiGatewayV2::Integration')[integration.Ref]?.Properties;
  };

  it('is an HTTP API with only the issue routes, each with its authorization', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const byKey = Object.fromEntries(routes().map((r) => [r.RouteKey, r.AuthorizationType]));
    expect(byKey).toEqual({
      // Alert senders authenticate with their per-source credential, checked by the handler.
      'POST /alerts/{source}': 'NONE',
      'GET /incidents': 'AWS_IAM',
      'POST /incidents': 'AWS_IAM',
      'GET /incidents/{key}': 'AWS_IAM',
      'POST /incidents/{key}/acknowledge': 'AWS_IAM',
      'POST /incidents/{key}/updates': 'AWS_IAM',
      'POST /incidents/{key}/severity': 'AWS_IAM',
      'POST /incidents/{key}/roles': 'AWS_IAM',
      'POST /incidents/{key}/resolve': 'AWS_IAM',
      'POST /incidents/{key}/measures': 'AWS_IAM',
      'POST /incidents/{key}/postmortem': 'AWS_IAM',
      'GET /incidents/{key}/postmortem': 'AWS_IAM',
      'PUT /incidents/{key}/postmortem': 'AWS_IAM',
      'GET /postmortems': 'AWS_IAM',
      'POST /incidents/{key}/postmortem/request-approval': 'AWS_IAM',
      'POST /incidents/{key}/postmortem/approvers': 'AWS_IAM',
      'POST /incidents/{key}/postmortem/editor-link': 'AWS_IAM',
      'GET /incidents/{key}/postmortem/document': 'AWS_IAM',
      'GET /actions': 'AWS_IAM',
      'POST /actions/{id}/complete': 'AWS_IAM',
      'POST /reports/slo': 'AWS_IAM',
      'GET /reports/slo/{runId}': 'AWS_IAM',
      'GET /schedules': 'AWS_IAM',
      'GET /schedules/{id}/oncall': 'AWS_IAM',
      'GET /schedules/{id}/overrides': 'AWS_IAM',
      'POST /schedules/{id}/overrides': 'AWS_IAM',
      'DELETE /schedules/{id}/overrides/{overrideId}': 'AWS_IAM',
      'POST /people/{id}/test-page': 'AWS_IAM',
      'GET /people/{id}/test-page': 'AWS_IAM',
      'POST /schedules/{id}/feed': 'AWS_IAM',
      // Signed links: the token in the path is the credential, checked by the handler.
      'GET /links/{token}': 'NONE',
      'POST /links/{token}': 'NONE',
      'GET /links/{token}/calendar.ics': 'NONE',
      'HEAD /links/{token}/calendar.ics': 'NONE',
      'GET /links/{token}/edit': 'NONE',
      'POST /links/{token}/edit': 'NONE',
      // The public status page: no credential, read-only.
      'GET /status': 'NONE',
      'HEAD /status': 'NONE',
      'GET /status.json': 'NONE',
      'HEAD /status.json': 'NONE',
      'GET /status.atom': 'NONE',
      'HEAD /status.atom': 'NONE',
    });
  });

  it.each([
    ['POST /alerts/{source}', 'IngestAlert'],
    ['GET /incidents', 'ListIncidents'],
    ['POST /incidents', 'DeclareIncident'],
    ['GET /incidents/{key}', 'GetIncident'],
    ['POST /incidents/{key}/acknowledge', 'RespondToIncident'],
    ['POST /incidents/{key}/resolve', 'RespondToIncident'],
    ['POST /incidents/{key}/measures', 'RespondToIncident'],
    ['PUT /incidents/{key}/postmortem', 'Postmortems'],
    ['GET /postmortems', 'Postmortems'],
    ['GET /actions', 'Actions'],
    ['POST /actions/{id}/complete', 'Actions'],
    ['POST /reports/slo', 'Reports'],
    ['GET /reports/slo/{runId}', 'Reports'],
    ['GET /schedules', 'OnCall'],
    ['GET /schedules/{id}/oncall', 'OnCall'],
    ['POST /schedules/{id}/overrides', 'OnCall'],
    ['DELETE /schedules/{id}/overrides/{overrideId}', 'OnCall'],
    ['POST /people/{id}/test-page', 'TestPages'],
    ['GET /people/{id}/test-page', 'TestPages'],
    ['POST /schedules/{id}/feed', 'ScheduleFeed'],
    ['GET /links/{token}/calendar.ics', 'ScheduleFeed'],
    ['HEAD /links/{token}/calendar.ics', 'ScheduleFeed'],
    ['GET /links/{token}', 'LinkDecision'],
    ['POST /links/{token}', 'LinkDecision'],
    ['GET /links/{token}/edit', 'PostmortemEditor'],
    ['POST /links/{token}/edit', 'PostmortemEditor'],
    ['GET /status', 'StatusPage'],
    ['HEAD /status', 'StatusPage'],
    ['GET /status.json', 'StatusPage'],
    ['GET /status.atom', 'StatusPage'],
    ['HEAD /status.atom', 'StatusPage'],
  ] as const)('routes %s to %s with payload format 2.0', (routeKey, functionId) => {
    expect(integrationOf(routeKey)).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: arnOf(stack.functions[functionId]),
      PayloadFormatVersion: '2.0',
    });
  });

  it('serves the status page publicly: GET and HEAD of its three routes, without an authorizer', () => {
    const status = routes().filter((r) => /^[A-Z]+ \/status(\.json|\.atom)?$/.test(String(r.RouteKey)));
    expect(status.map((r) => r.RouteKey).sort()).toEqual([
      'GET /status',
      'GET /status.atom',
      'GET /status.json',
      'HEAD /status',
      'HEAD /status.atom',
      'HEAD /status.json',
    ]);
    for (const route of status) {
      expect(route.AuthorizationType, route.RouteKey).toBe('NONE');
      expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
    }
  });

  it('has one auto-deployed $default stage with throttling', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: stageThrottle.rateLimit,
        ThrottlingBurstLimit: stageThrottle.burstLimit,
      },
    });
  });

  it('writes JSON access logs, by route key, without raw paths or query strings, to a log group with retention', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const settings: { DestinationArn: unknown; Format: string } = stages[0]?.Properties.AccessLogSettings;
    const { DestinationArn, Format } = settings;
    expect(DestinationArn).toEqual(arnOf(stack.incidentApi.accessLogs));
    expect(
      template.findResources('AWS::Logs::LogGroup')[logicalId(stack.incidentApi.accessLogs)]?.Properties,
    ).toMatchObject({ RetentionInDays: 30 });

    const fields = JSON.parse(Format) as Record<string, string>;
    expect(fields).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey' });
    expect(Format).not.toMatch(/\$context\.(path|rawPath|resourcePath)\b/);
    expect(Format).not.toMatch(/querystring|queryString|rawQueryString/i);
    expect(Format).not.toMatch(/\$(input|request)\./);
  });

  it('exports the API URL', () => {
    template.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: logicalId(stack.api) }])] },
    });
  });
});
