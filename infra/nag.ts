import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's id of an IAM wildcard finding on one resource (AwsSolutions-IAM5 reports each wildcard resource
 * of a policy as its own finding): what `Validations.of(x).acknowledge({ id })` needs to acknowledge exactly
 * that resource and no other wildcard that may appear in the same policy later.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
}

/** A resolved CloudFormation expression as cdk-nag writes it in finding ids: `Ref` → `<Id>`, GetAtt → `<Id.Attr>`. */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenReference).join(separator);
    }
    if (o['Fn::Sub'] !== undefined) return flattenReference(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [id, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(id)}.${flattenReference(attribute)}>`;
    }
    if (o.Ref !== undefined) return `<${flattenReference(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
