// Ingestion: `POST /v1/events`. STUB: filled in by the ingestion work.
import { Hono } from 'hono';

export const events = new Hono<{ Bindings: Env }>();
