ALTER TABLE "jobs" ADD COLUMN "secrets" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "batchable" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "batch_id" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "lock_key" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "timeout_seconds" integer DEFAULT 1800 NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "tasks_done" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "tasks_total" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "result" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "log_text" text;--> statement-breakpoint
CREATE INDEX "jobs_requested_by_idx" ON "jobs" USING btree ("requested_by");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_lock_key_unique" ON "jobs" USING btree ("lock_key");