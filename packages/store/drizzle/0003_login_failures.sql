CREATE TABLE "login_failures" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"failed_at" timestamp with time zone[] NOT NULL,
	"last_attempt_at" timestamp with time zone NOT NULL,
	CONSTRAINT "login_failures_kind_key_pk" PRIMARY KEY("kind","key"),
	CONSTRAINT "login_failures_kind_check" CHECK ("login_failures"."kind" in ('user', 'address'))
);
--> statement-breakpoint
CREATE INDEX "login_failures_last_attempt_at_idx" ON "login_failures" USING btree ("last_attempt_at");