defmodule Golden.AtomicRateLimit.IfInline do
  @limit 100

  def hit(tab, key) do
    if :ets.update_counter(tab, key, {2, 1}, {key, 0}) > @limit do
      :ets.update_counter(tab, key, {2, -1})
      {:error, :rate_limited}
    else
      {:ok, :granted}
    end
  end
end
