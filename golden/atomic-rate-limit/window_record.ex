defmodule Golden.AtomicRateLimit.WindowRecord do
  # Objects are {key, window_start, hits}; the hits are element 3.
  @limit 100

  def hit(tab, key) do
    hits = :ets.update_counter(tab, key, {3, 1}, {key, 0, 0})
    if hits > @limit do
      :ets.update_counter(tab, key, {3, -1}) # undo
      {:error, hits}
    else
      {:ok, hits}
    end
  end
end
