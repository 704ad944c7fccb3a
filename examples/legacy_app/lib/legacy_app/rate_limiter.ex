defmodule LegacyApp.RateLimiter do
  @moduledoc """
  Per-client request limiter on a public ETS table: at most `@limit` requests per client
  and window.
  """

  @table :legacy_app_rate_limits
  @limit 100

  def setup do
    :ets.new(@table, [:named_table, :public, :set, write_concurrency: true])
  end

  @doc "Counts one request of `client` in the current window; `{:ok, used}` or `{:error, :rate_limited}`."
  def hit(client, window \\ current_window()) do
    key = {client, window}
    used = :ets.update_counter(@table, key, {2, 1}, {key, 0})

    if used > @limit do
      # over the limit: give the slot back
      :ets.update_counter(@table, key, {2, -1})
      {:error, :rate_limited}
    else
      {:ok, used}
    end
  end

  @doc "Requests left for `client` in the current window."
  def remaining(client, window \\ current_window()) do
    case :ets.lookup(@table, {client, window}) do
      [{_, used}] -> @limit - used
      [] -> @limit
    end
  end

  defp current_window, do: div(System.system_time(:second), 60)
end
