// Small builders for route definitions: a JSON body or response of a schema, and a documented error answer.
import { ErrorResponse } from '../../../../lib/catalog/schemas';

export const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });
export const failure = (description: string) => ({ description, ...json(ErrorResponse) });
