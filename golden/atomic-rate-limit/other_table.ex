defmodule Golden.AtomicRateLimit.OtherTable do
  @limit 100

  def hit(tab, stats, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      # a different table: counts the denials, does not roll anything back
      :ets.update_counter(stats, key, {2, -1}, {key, 0})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
