ALTER TABLE `jobs` ADD `secrets` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `batchable` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `batch_id` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `lock_key` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `timeout_seconds` integer DEFAULT 1800 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `heartbeat_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `tasks_done` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `tasks_total` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `result` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `log_text` text;--> statement-breakpoint
CREATE INDEX `jobs_requested_by_idx` ON `jobs` (`requested_by`);--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_lock_key_unique` ON `jobs` (`lock_key`);