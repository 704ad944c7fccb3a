defmodule Golden.AtomicRateLimit.NoDefault do
  @limit 100

  def hit(tab, key) do
    :ets.insert_new(tab, {key, 0})
    n = :ets.update_counter(tab, key, {2, 1})

    if n <= @limit do
      {:ok, n}
    else
      :ets.update_counter(tab, key, {2, -1})
      {:error, n}
    end
  end
end
