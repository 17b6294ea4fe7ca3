// Request validation: two Ajv instances, because only query strings (and path parameters,
// which are text by nature) may be coerced. A JSON body with `"is_active": "true"` is a
// wrong type and answers 400, never a silent conversion. Unknown fields are errors, not dropped.
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = {
  allErrors: false,
  removeAdditional: false,
  useDefaults: true,
  // OpenAPI keywords (description, example, tags) are documentation, not validation.
  strict: false,
};

export function createValidatorCompiler(): FastifySchemaCompiler<object> {
  const strictAjv = new Ajv({ ...common, coerceTypes: false });
  const coercingAjv = new Ajv({ ...common, coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
    return ajv.compile(schema);
  };
}
