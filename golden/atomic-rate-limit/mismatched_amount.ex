defmodule Golden.AtomicRateLimit.MismatchedAmount do
  # The "rollback" takes back more than the increment added: not the pattern.
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      :ets.update_counter(tab, key, {2, -2})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
