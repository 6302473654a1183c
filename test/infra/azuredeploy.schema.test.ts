import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArmTemplate } from '../support/arm-template';
import {
  describeErrors,
  loadArmSchemas,
  SCHEMA_DIR,
  schemasPresent,
  type ArmSchemas,
} from '../support/arm-schemas';

// The template against Microsoft's official ARM schemas (JSON Schema draft-04): each resource
// against the definition of its type at its apiVersion, the document against the
// deployment-template schema. The schemas are reference data beside the repository; where
// they are absent this part says so and skips, and the meaning tests still run.

const INFRA = join(__dirname, '../../infra');
const template = JSON.parse(readFileSync(join(INFRA, 'azuredeploy.json'), 'utf8')) as ArmTemplate;

const present = schemasPresent();
if (!present) {
  // The one place a reader learns why the schema part did not run.
  console.warn(
    `ARM schemas not found at ${SCHEMA_DIR}: schema validation of infra/azuredeploy.json skipped.`,
  );
}
const describeWithSchemas = present ? describe : describe.skip;

describeWithSchemas('infra/azuredeploy.json against the official ARM schemas', () => {
  let schemas: ArmSchemas;
  beforeAll(() => {
    schemas = loadArmSchemas();
  });

  it.each(template.resources.map((r, i) => [`${r.type}@${r.apiVersion} (resource ${i})`, r] as const))(
    '%s matches its resource definition',
    (_, resource) => {
      const validate = schemas.forResource(resource.type, resource.apiVersion);
      expect(validate).toBeDefined();
      const ok = validate?.(resource);
      expect(describeErrors(validate?.errors)).toBe('');
      expect(ok).toBe(true);
    },
  );

  it('the whole template matches deploymentTemplate.json (2019-04-01)', () => {
    const validate = schemas.template();
    const ok = validate(template);
    expect(describeErrors(validate.errors)).toBe('');
    expect(ok).toBe(true);
  });

  it('the validation has teeth: a misspelt property value, a wrong apiVersion and a bad template are refused', () => {
    const queue = template.resources.find((r) => r.type === 'Microsoft.ServiceBus/namespaces/queues');
    const validateQueue = schemas.forResource('Microsoft.ServiceBus/namespaces/queues', '2024-01-01');
    expect(
      validateQueue?.({
        ...queue,
        properties: { ...(queue?.properties as object), maxDeliveryCount: 'five' },
      }),
    ).toBe(false);
    expect(validateQueue?.({ ...queue, apiVersion: '2021-11-01' })).toBe(false);
    const plan = template.resources.find((r) => r.type === 'Microsoft.Web/serverfarms');
    expect(schemas.forResource('Microsoft.Web/serverfarms', '2024-11-01')?.({ ...plan, sku: 'FC1' })).toBe(
      false,
    );
    expect(schemas.template()({ ...template, contentVersion: 'one' })).toBe(false);
    expect(
      schemas.template()({
        ...template,
        resources: [...template.resources, { type: 'Microsoft.Web/sites', apiVersion: '2024-11-01' }],
      }),
    ).toBe(false);
  });
});
