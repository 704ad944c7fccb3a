defmodule Golden.AtomicRateLimit.NamedTable do
  @table :golden_atomic_rate_limit
  @limit 100

  def init do
    :ets.new(@table, [:named_table, :public, :set, write_concurrency: true])
  end

  def hit(key) do
    n = :ets.update_counter(@table, key, {2, 1}, {key, 0})

    if n > @limit do
      _ = :ets.update_counter(@table, key, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
