CREATE TABLE `agent_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`server_id` integer NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_tokens_hash_unique` ON `agent_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `agent_tokens_server_idx` ON `agent_tokens` (`server_id`);--> statement-breakpoint
CREATE TABLE `alert_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`sealed_secrets` text,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_channels_name_unique` ON `alert_channels` (`name`);--> statement-breakpoint
CREATE TABLE `alert_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`rule_id` integer,
	`rule_name` text NOT NULL,
	`server_id` integer,
	`server_name` text NOT NULL,
	`state` text NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	`threshold` real NOT NULL,
	`message` text NOT NULL,
	`channel_id` integer,
	`delivery` text DEFAULT 'pending' NOT NULL,
	`delivery_error` text
);
--> statement-breakpoint
CREATE INDEX `alert_events_at_idx` ON `alert_events` (`at`);--> statement-breakpoint
CREATE INDEX `alert_events_rule_idx` ON `alert_events` (`rule_id`,`at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`metric` text NOT NULL,
	`op` text NOT NULL,
	`threshold` real NOT NULL,
	`for_seconds` integer DEFAULT 0 NOT NULL,
	`hysteresis` real DEFAULT 0 NOT NULL,
	`server_id` integer,
	`tag` text,
	`channel_id` integer NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_server_idx` ON `alert_rules` (`server_id`);--> statement-breakpoint
CREATE INDEX `alert_rules_channel_idx` ON `alert_rules` (`channel_id`);--> statement-breakpoint
CREATE TABLE `alert_states` (
	`rule_id` integer NOT NULL,
	`server_id` integer NOT NULL,
	`state` text NOT NULL,
	`since` integer NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`rule_id`, `server_id`)
);
--> statement-breakpoint
CREATE INDEX `alert_states_server_idx` ON `alert_states` (`server_id`);--> statement-breakpoint
CREATE TABLE `metric_hours` (
	`server_id` integer NOT NULL,
	`start_at` integer NOT NULL,
	`points` blob NOT NULL,
	PRIMARY KEY(`server_id`, `start_at`)
);
--> statement-breakpoint
CREATE TABLE `metric_latest` (
	`server_id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`interval_seconds` integer NOT NULL,
	`sample` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metric_minutes` (
	`server_id` integer NOT NULL,
	`start_at` integer NOT NULL,
	`points` blob NOT NULL,
	PRIMARY KEY(`server_id`, `start_at`)
);
--> statement-breakpoint
CREATE TABLE `metric_samples` (
	`server_id` integer NOT NULL,
	`at` integer NOT NULL,
	`cpu` real NOT NULL,
	`memory` real NOT NULL,
	`swap` real NOT NULL,
	`disk` real NOT NULL,
	`load1` real NOT NULL,
	`net_rx` real NOT NULL,
	`net_tx` real NOT NULL,
	`disk_read` real NOT NULL,
	`disk_write` real NOT NULL,
	PRIMARY KEY(`server_id`, `at`)
);
