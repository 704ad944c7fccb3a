defmodule Golden.AtomicRateLimit.UnlessGe do
  @limit 101

  def hit(tab, key) do
    used = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    unless used >= @limit do
      {:ok, @limit - 1 - used}
    else
      _ = :ets.update_counter(tab, key, {2, -1})
      {:error, used}
    end
  end
end
